package mail_test

import (
	"testing"

	"github.com/backupchecks/backupchecks/app/mail"
)

func TestFormatSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"}, {1023, "1023 bytes"}, {1024, "1 KB"}, {1536, "2 KB"},
		{32 << 20, "32 MB"}, {50 << 20, "50 MB"}, {(3 << 20) / 2, "1.5 MB"}, {256 << 20, "256 MB"},
	} {
		if got := mail.FormatSize(tc.n); got != tc.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
