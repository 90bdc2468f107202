package settings_test

import (
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

func TestImportDue(t *testing.T) {
	now := time.Date(2024, 5, 6, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { at := now.Add(-d); return &at }
	on := func(interval int, last *time.Time) db.SystemSettings {
		return db.SystemSettings{MailImportEnabled: true, MailSource: settings.MailSourceGraph,
			MailImportIntervalMinutes: interval, MailLastImportAt: last}
	}
	for _, tc := range []struct {
		name string
		s    db.SystemSettings
		want bool
	}{
		{"disabled", db.SystemSettings{MailSource: settings.MailSourceGraph, MailImportIntervalMinutes: 15}, false},
		{"disabled, never imported, long overdue", db.SystemSettings{MailSource: settings.MailSourceIMAP,
			MailImportIntervalMinutes: 1, MailLastImportAt: ago(24 * time.Hour)}, false},
		{"no source", db.SystemSettings{MailImportEnabled: true, MailSource: settings.MailSourceNone, MailImportIntervalMinutes: 15}, false},
		{"no source, overdue", db.SystemSettings{MailImportEnabled: true, MailSource: settings.MailSourceNone,
			MailImportIntervalMinutes: 15, MailLastImportAt: ago(time.Hour)}, false},
		{"never imported", on(15, nil), true},
		{"imap, never imported", db.SystemSettings{MailImportEnabled: true, MailSource: settings.MailSourceIMAP, MailImportIntervalMinutes: 15}, true},
		{"just imported", on(15, ago(0)), false},
		{"before the interval", on(15, ago(15*time.Minute-time.Nanosecond)), false},
		{"at the interval", on(15, ago(15*time.Minute)), true},
		{"after the interval", on(15, ago(16*time.Minute)), true},
		{"last import in the future (clock skew)", on(15, ago(-5*time.Minute)), false},
		// The interval is read each time: the same last import is due or not by the
		// interval set now.
		{"interval lengthened past the last import", on(60, ago(20*time.Minute)), false},
		{"interval shortened below the last import", on(5, ago(10*time.Minute)), true},
		{"interval zero", on(0, ago(0)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := settings.ImportDue(&tc.s, now); got != tc.want {
				t.Fatalf("ImportDue = %v, want %v", got, tc.want)
			}
		})
	}
}
