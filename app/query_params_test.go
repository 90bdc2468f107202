package app

import "testing"

func TestPageNumber(t *testing.T) {
	for raw, want := range map[string]int{
		"": 1, "1": 1, " 7 ": 7, "0": 1, "-3": 1, "abc": 1, "2.5": 1,
		"1048576": maxPage, "1048577": maxPage, "9223372036854775807": maxPage,
		"9223372036854775808": maxPage, "-9223372036854775809": 1, "99999999999999999999999": maxPage,
	} {
		if got := pageNumber(raw); got != want {
			t.Errorf("pageNumber(%q) = %d, want %d", raw, got, want)
		}
	}
}
