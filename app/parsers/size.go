package parsers

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// sizeRe finds the first size in a text: a number (digits, with "." "," or spaces as
// separators) and a unit.
var sizeRe = regexp.MustCompile(`(?i)([0-9][0-9.,' \x{00a0}\x{202f}]*)\s*(bytes?|[kmgtpe]i?b|b)\b`)

var sizeUnits = map[string]float64{
	"b": 1, "byte": 1, "bytes": 1,
	"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40, "pb": 1 << 50, "eb": 1 << 60,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50, "eib": 1 << 60,
}

// ParseSize reads a size as backup reports write it ("1.5 TB", "1,5 TB", "750 MB",
// "12 GB", "1,024.5 GB", "1 536 MB") into bytes. Units are binary, as Veeam and most
// backup products count them (1 KB = 1024 B). The decimal separator is "." or ",":
// with both in the number the last one is, with one of them once it is (Veeam writes
// "1,5 TB" in a comma locale and never groups thousands below the next unit), and one
// used twice or more groups thousands. ok is false when the text has no size, or one
// too large to count in bytes.
func ParseSize(s string) (n int64, ok bool) {
	m := sizeRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	num := strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "'", "").Replace(strings.TrimRight(m[1], ".,' \u00a0\u202f"))
	dot, comma := strings.LastIndex(num, "."), strings.LastIndex(num, ",")
	switch {
	case dot >= 0 && comma >= 0 && dot > comma: // 1,024.5
		num = strings.ReplaceAll(num, ",", "")
	case dot >= 0 && comma >= 0: // 1.024,5
		num = strings.ReplaceAll(strings.ReplaceAll(num, ".", ""), ",", ".")
	case strings.Count(num, ",") > 1: // 1,024,000
		num = strings.ReplaceAll(num, ",", "")
	case strings.Count(num, ".") > 1: // 1.024.000
		num = strings.ReplaceAll(num, ".", "")
	default: // 1,5 or 1.5
		num = strings.ReplaceAll(num, ",", ".")
	}
	f, err := strconv.ParseFloat(num, 64)
	unit := sizeUnits[strings.ToLower(m[2])]
	if err != nil || unit == 0 || f < 0 {
		return 0, false
	}
	b := math.Round(f * unit)
	if b >= math.MaxInt64 {
		return 0, false
	}
	return int64(b), true
}
