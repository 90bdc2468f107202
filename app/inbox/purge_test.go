package inbox_test

import (
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestPurgeDeletedOlderThan: only soft-deleted mails deleted before the cutoff go,
// with their objects; Inbox mails, younger deleted ones and a run's mail stay.
func TestPurgeDeletedOlderThan(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, m := range []struct {
		subject  string
		location string
		deleted  time.Time
	}{
		{"old deleted", db.LocationDeleted, now.AddDate(0, 0, -40)},
		{"recent deleted", db.LocationDeleted, now.AddDate(0, 0, -5)},
		{"in the inbox", db.LocationInbox, time.Time{}},
	} {
		var deleted any
		if !m.deleted.IsZero() {
			deleted = m.deleted
		}
		if _, err := d.Bun.ExecContext(ctx, `INSERT INTO mail_messages (source, size, raw_mime, subject, received_at, location, deleted_at)
			VALUES ('upload', 1, 'x', ?, ?, ?, ?)`, m.subject, now.AddDate(0, 0, -60), m.location, deleted); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Bun.ExecContext(ctx, `INSERT INTO mail_objects (mail_message_id, object_name) SELECT id, 'vm01' FROM mail_messages`); err != nil {
		t.Fatal(err)
	}
	if _, err := inbox.PurgeDeletedOlderThan(ctx, d.Bun, audit.Actor{Name: "admin"}, -1, now); err == nil {
		t.Fatal("a negative age was accepted")
	} else if errs, ok := validation.As(err); !ok || errs["days"] == "" {
		t.Fatalf("error %v, want one beside days", err)
	}
	n, err := inbox.PurgeDeletedOlderThan(ctx, d.Bun, audit.Actor{Name: "admin"}, 30, now)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v", n, err)
	}
	var left []string
	_ = d.Bun.NewRaw("SELECT subject FROM mail_messages ORDER BY id").Scan(ctx, &left)
	var objects int
	_ = d.Bun.NewRaw("SELECT count(*) FROM mail_objects").Scan(ctx, &objects)
	if len(left) != 2 || left[0] != "recent deleted" || objects != 2 {
		t.Fatalf("left %v with %d objects", left, objects)
	}
	if n, err := inbox.PurgeDeletedOlderThan(ctx, d.Bun, audit.Actor{Name: "admin"}, 0, now); err != nil || n != 1 {
		t.Fatalf("purge all deleted: %d %v", n, err)
	}
}

// TestSearch: the Inbox's q filter uses the search terms over sender, subject and
// what the parser read, and counts what it finds.
func TestSearch(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	if _, err := d.Bun.ExecContext(ctx, `INSERT INTO mail_messages (source, size, raw_mime, from_address, subject, parsed_backup_software, received_at)
		VALUES ('upload', 1, 'x', 'veeam@acme.example', '[Failed] Nightly 100%', 'Veeam', now()),
		       ('upload', 1, 'x', 'nas@globex.example', 'Hyper Backup 1000 done', 'Synology', now()),
		       ('upload', 1, 'x', 'veeam@globex.example', 'Weekly', 'Veeam', now())`); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int{"": 3, "veeam": 2, "veeam globex": 1, "100%": 1, "*.example": 3, "globex*": 0, "[failed]*": 1} {
		p, err := inbox.Search(ctx, d.Bun, db.LocationInbox, q, 1, 10)
		if err != nil || p.Total != want || len(p.Rows) != want {
			t.Errorf("%q: %d (%d rows), %v; want %d", q, p.Total, len(p.Rows), err, want)
		}
	}
}
