package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/mail/graph"
	"github.com/backupchecks/backupchecks/app/mail/graph/graphtest"
	"github.com/backupchecks/backupchecks/app/notify"
	"github.com/backupchecks/backupchecks/app/outbound"
	"github.com/backupchecks/backupchecks/app/outbound/smtptest"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// digestData is a fixed dataset: two customers' runs of Monday 2 March 2026
// (Amsterdam), one missed, mails of unknown jobs, a failed mail import.
func digestData(t *testing.T, d *db.DB) (today time.Time, acme int64) {
	t.Helper()
	loc := amsterdam(t)
	f := dbtest.Fixture(t, d)
	at := func(day, h, m int) time.Time { return time.Date(2026, 3, day, h, m, 0, 0, loc) }
	a := f.Customer("Acme BV")
	nightly := a.Job(dbtest.Job{Name: "Nightly VMs"}).Runs(
		dbtest.Run{Status: "Success", At: at(2, 1, 0)},
		dbtest.Run{Status: "Failed", At: at(2, 22, 30), Message: "Disk full"},
		dbtest.Run{Status: "Success", At: at(1, 23, 59)}, // Sunday: not in the digest
	)
	files := a.Job(dbtest.Job{Name: "File server"}).Runs(
		dbtest.Run{Status: "Missed", Source: "missed", At: at(2, 2, 0)},
		dbtest.Run{Status: "Warning", At: at(2, 3, 0), Overridden: "Success"},
	)
	b := f.Customer("Bakkerij Łódź")
	cloud := b.Job(dbtest.Job{Name: "M365"}).Runs(
		dbtest.Run{Status: "Warning", At: at(2, 4, 15)},
		dbtest.Run{Status: "Success", At: at(2, 5, 15), ReviewedAt: ptr(at(2, 9, 0))},
		dbtest.Run{Status: "Success", At: at(3, 0, 0)}, // today: not in the digest
	)
	if err := review.RecountJobSummaries(context.Background(), d.Bun, []int64{nightly.ID, files.ID, cloud.ID}); err != nil {
		t.Fatal(err)
	}
	f.Mail(dbtest.Mail{Subject: "Unknown job", ReceivedAt: at(2, 6, 0)})
	f.Mail(dbtest.Mail{Subject: "Older unknown", ReceivedAt: at(1, 6, 0)})
	if _, err := d.Bun.ExecContext(ctx, "UPDATE system_settings SET mail_last_import_at = ?, mail_last_import_result = ?",
		at(2, 23, 0), "failed: graph: token: invalid_client"); err != nil {
		t.Fatal(err)
	}
	// Cove's last import failed; Autotask's sync failed yesterday (its River job's errors)
	// and the day before (not in this digest).
	if _, err := d.Bun.ExecContext(ctx, "UPDATE system_settings SET cove_last_import_at = ?, cove_last_import_result = ?, cove_last_import_failed = true",
		at(2, 12, 0), "cove: login: the partner name or password is wrong"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		at  time.Time
		msg string
	}{{at(1, 10, 0), "old failure"}, {at(2, 10, 0), "autotask: 401 Unauthorized"}} {
		if _, err := d.Bun.ExecContext(ctx, `INSERT INTO river_job (kind, args, max_attempts, queue, state, attempt, priority, errors)
			VALUES ('autotask_sync', '{}', 25, 'default', 'retryable', 1, 1, ARRAY[jsonb_build_object('at', ?::timestamptz, 'attempt', 1, 'error', ?::text)])`,
			e.at, e.msg); err != nil {
			t.Fatal(err)
		}
	}
	return at(3, 7, 30), a.ID
}

func ptr[T any](v T) *T { return &v }

func TestDigestGolden(t *testing.T) {
	d := dbtest.New(t)
	today, acme := digestData(t, d)
	loc := amsterdam(t)
	m, err := notify.BuildDigest(ctx, d.Bun, today, loc, base, nil, today)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "digest.golden", m.Text())
	// A user's digest of the customers they look after: no Inbox, no integrations.
	m, err = notify.BuildDigest(ctx, d.Bun, today, loc, base, []int64{acme}, today)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "digest_acme.golden", m.Text())
}

// Digests are planned once a day per channel and subscribed user, at their time;
// mail goes out through Graph sendMail or SMTP, whichever is configured.
func TestPlanDigestsAndMail(t *testing.T) {
	d := dbtest.New(t)
	loc := amsterdam(t)
	_, _ = digestData(t, d)
	ch := channel(t, d, notify.ChannelInput{Name: "Managers", Kind: notify.ChannelEmail, Recipients: "boss@msp.example; ops@msp.example", DigestTime: "07:00"})
	var uid int64
	if err := d.Bun.NewRaw(`INSERT INTO users (username, email, password_hash, roles, active_role) VALUES ('ann', 'ann@msp.example', 'x', '{operator}', 'operator') RETURNING id`).
		Scan(ctx, &uid); err != nil {
		t.Fatal(err)
	}
	if err := notify.SaveSubscription(ctx, d.Bun, admin, uid, notify.Subscription{Digest: true, DigestTime: "08:00", Statuses: []string{"Failed"}}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 3, 7, 30, 0, 0, loc)
	ids, err := notify.PlanDigests(ctx, d.Bun, now, loc, base)
	if err != nil || len(ids) != 1 {
		t.Fatalf("07:30: %v %v (the channel's digest only)", ids, err)
	}
	if again, err := notify.PlanDigests(ctx, d.Bun, now.Add(time.Minute), loc, base); err != nil || len(again) != 0 {
		t.Fatalf("planned twice: %v %v", again, err)
	}
	later, err := notify.PlanDigests(ctx, d.Bun, now.Add(time.Hour), loc, base)
	if err != nil || len(later) != 1 {
		t.Fatalf("08:30: %v %v", later, err)
	}

	// Graph sendMail for the channel's digest.
	fake := graphtest.NewFakeServer(t)
	cfg := fake.Config("", "")
	cfg.MaxRetries = -1
	sender, err := graph.NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := notify.Deliver(ctx, d.Bun, keys, notify.Sender{Mailer: outbound.GraphMailer{Sender: sender}}, ids[0], 1, now); err != nil {
		t.Fatal(err)
	}
	sent := fake.Sent()
	if len(sent) != 1 || strings.Join(sent[0].To, ",") != "boss@msp.example,ops@msp.example" ||
		sent[0].Subject != "Backupchecks daily digest · Monday 2 March 2026" || !strings.Contains(sent[0].Body, "Acme BV: 1 Failed, 1 Missed, 2 Success") {
		t.Fatalf("sent %+v", sent)
	}

	// SMTP with STARTTLS for the user's.
	srv := smtptest.New(t, false)
	if err := notify.Deliver(ctx, d.Bun, keys, notify.Sender{Mailer: srv.Mailer("starttls", "Backupchecks <reports@msp.example>")}, later[0], 1, now); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 || strings.Join(got[0].To, ",") != "ann@msp.example" || !strings.Contains(string(got[0].Data), "Still to review") {
		t.Fatalf("smtp %+v", got)
	}
	var n int
	if err := d.Bun.NewRaw("SELECT count(*) FROM notify_deliveries WHERE kind = 'digest' AND status = 'sent'").Scan(ctx, &n); err != nil || n != 2 {
		t.Errorf("%d digests sent (%v)", n, err)
	}
	_ = ch
}
