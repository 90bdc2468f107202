package ui

import "testing"

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 mailboxes"}, {1, "1 mailbox"}, {2, "2 mailboxes"}, {21, "21 mailboxes"}, {-1, "-1 mailbox"}} {
		if got := Count(tc.n, "mailbox", "mailboxes"); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
