// Package csvcell makes text safe as a cell of a CSV file that a spreadsheet opens.
package csvcell

import "strings"

// Text keeps a cell that a spreadsheet would run as a formula as text, with a leading
// apostrophe: names and messages in exports come from mail and users, so from anyone.
func Text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
