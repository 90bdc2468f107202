package ui

import "strconv"

// Count is n followed by the noun in the number it needs: "1 run", "0 runs", "3 runs".
// English plurals are not all one letter, so both forms are given.
func Count[N ~int | ~int32 | ~int64](n N, one, many string) string {
	if n == 1 || n == -1 {
		return strconv.FormatInt(int64(n), 10) + " " + one
	}
	return strconv.FormatInt(int64(n), 10) + " " + many
}
