package settings

import (
	"testing"

	"github.com/backupchecks/backupchecks/db"
)

func TestLocation(t *testing.T) {
	for name, want := range map[string]string{
		"America/New_York": "America/New_York",
		"Europe/Amsterdam": "Europe/Amsterdam",
		"Nowhere/Nothing":  DefaultTimezone, // a broken tzdata falls back
	} {
		for range 2 { // loaded, then from the cache
			if got := Location(&db.SystemSettings{UITimezone: name}).String(); got != want {
				t.Fatalf("Location(%q) = %q, want %q", name, got, want)
			}
		}
	}
}
