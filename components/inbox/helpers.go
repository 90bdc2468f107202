package inbox

import "strings"

func hasExact(opts []CustomerOption, name string) bool {
	for _, o := range opts {
		if strings.EqualFold(o.Name, strings.TrimSpace(name)) {
			return true
		}
	}
	return false
}
