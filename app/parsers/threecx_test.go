package parsers

import "testing"

func TestThreecxEvent(t *testing.T) {
	for _, tc := range []struct {
		subject, event, host, detail string
		kind                         threecxKind
		ok                           bool
	}{
		{"3CX Notification: Backup Complete - pbx.example.com", "Backup Complete", "pbx.example.com", "", threecxBackup, true},
		{"RE: 3CX Notification: Backup Failed - pbx.example.com", "Backup Failed", "pbx.example.com", "", threecxBackup, true},
		{"3CX Phone System Notification: Backup Successful - pbx", "Backup Successful", "pbx", "", threecxBackup, true},
		{"3CX Notification: Update Successful - pbx.example.com", "Update Successful", "pbx.example.com", "", threecxUpdate, true},
		{"3CX Notification: SSL Certificate Renewal - pbx.example.com - The SSL Certificate was automatically renewed for the next 90 days",
			"SSL Certificate Renewal", "pbx.example.com", "The SSL Certificate was automatically renewed for the next 90 days", threecxCertificate, true},
		{"3CX Notification: Backup Restore Complete - pbx.example.com", "Backup Restore Complete", "pbx.example.com", "", 0, false},
		{"3CX Notification: Trunk Down", "Trunk Down", "", "", 0, false},
		{"Weekly 3CX newsletter", "", "", "", 0, false},
	} {
		event, host, detail, ok := threecxEvent(tc.subject)
		if ok && (event != tc.event || host != tc.host || detail != tc.detail) {
			t.Errorf("threecxEvent(%q) = %q, %q, %q", tc.subject, event, host, detail)
		}
		kind, known := threecxKindOf(event)
		if ok && known != tc.ok || known && kind != tc.kind {
			t.Errorf("threecxKindOf(%q) = %v, %v; want %v, %v", event, kind, known, tc.kind, tc.ok)
		}
	}
}
