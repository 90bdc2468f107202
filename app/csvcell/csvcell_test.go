package csvcell

import "testing"

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "Acme": "Acme", "=1+1": "'=1+1", "+31 20": "'+31 20", "-5": "'-5", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
