package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/notify"
	"github.com/backupchecks/backupchecks/app/notify/detect"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const base = "https://backupchecks.msp.example"

var (
	ctx   = context.Background()
	admin = audit.Actor{Name: "admin"}
	keys  = secrets.NewKeyring("notify-test-key-0123456789abcdef")
)

func amsterdam(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// receiver is an httptest webhook receiver (Teams, Slack or generic) that keeps what
// it got and fails the next requests when told.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []request
	fail int
}

type request struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			http.Error(w, "busy, try later", http.StatusServiceUnavailable)
			return
		}
		r.got = append(r.got, request{req.Header.Clone(), body})
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

func (r *receiver) failNext(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

func channel(t *testing.T, d *db.DB, in notify.ChannelInput) int64 {
	t.Helper()
	in.Enabled = true
	id, err := notify.SaveChannel(ctx, d.Bun, keys, admin, 0, in)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func rule(t *testing.T, d *db.DB, in notify.RuleInput) int64 {
	t.Helper()
	in.Enabled = true
	if in.GroupMinutes == "" {
		in.GroupMinutes = "10"
	}
	if in.WorkingDays == nil {
		in.WorkingDays = []int{1, 2, 3, 4, 5, 6, 7}
	}
	if in.Name == "" {
		in.Name = "On call"
	}
	id, err := notify.SaveRule(ctx, d.Bun, admin, 0, in)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// importRuns inserts n runs of job with status in one transaction and passes them
// through ingest.RunsCreated, as a morning import does.
func importRuns(t *testing.T, d *db.DB, jobID int64, status string, n int, at time.Time) []int64 {
	t.Helper()
	var ids []int64
	err := d.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw(`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at, message)
			SELECT ?, ?, 'email', 'imp-' || ?::text || '-' || g || '-' || md5(?::timestamptz::text), ?::timestamptz + g * interval '1 second', 'Job finished with error ' || g
			FROM generate_series(1, ?) g RETURNING id`, jobID, status, status, at, at, n).Scan(ctx, &ids); err != nil {
			return err
		}
		return ingest.RunsCreated(ctx, tx, ids)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Bun.NewRaw(q, args...).Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A morning import of 500 failed runs makes one message listing them, signed; the
// next flush sends nothing; the runs passing RunsCreated again alert no more.
func TestGroupingOneMessage(t *testing.T) {
	d := dbtest.New(t)
	f := dbtest.Fixture(t, d)
	loc := amsterdam(t)
	job := f.Customer("Acme").Job(dbtest.Job{Name: "Nightly"})
	other := f.Customer("Beta").Job(dbtest.Job{Name: "Files"})
	rcv := newReceiver(t)
	ch := channel(t, d, notify.ChannelInput{Name: "Ops hook", Kind: notify.ChannelWebhook, URL: rcv.URL, Secret: "a-long-signing-secret"})
	rule(t, d, notify.RuleInput{ChannelID: ch, Statuses: []string{"Failed"}, GroupMinutes: "10"})

	start := time.Now()
	runs := importRuns(t, d, job.ID, db.StatusFailed, 500, start.Add(-8*time.Hour))
	importRuns(t, d, other.ID, db.StatusSuccess, 20, start.Add(-8*time.Hour))
	if n := count(t, d, "SELECT count(*) FROM notify_alerts"); n != 500 {
		t.Fatalf("%d alerts recorded, want 500", n)
	}
	// Within the group's minutes nothing goes out yet.
	if ids, err := notify.Flush(ctx, d.Bun, start.Add(5*time.Minute), loc, base); err != nil || len(ids) != 0 {
		t.Fatalf("early flush: %v %v", ids, err)
	}
	ids, err := notify.Flush(ctx, d.Bun, start.Add(11*time.Minute), loc, base)
	if err != nil || len(ids) != 1 {
		t.Fatalf("flush: %v %v", ids, err)
	}
	if again, err := notify.Flush(ctx, d.Bun, start.Add(30*time.Minute), loc, base); err != nil || len(again) != 0 {
		t.Fatalf("second flush: %v %v", again, err)
	}
	sendAt := time.Now()
	if err := notify.Deliver(ctx, d.Bun, keys, notify.Sender{Now: func() time.Time { return sendAt }}, ids[0], 1, sendAt); err != nil {
		t.Fatal(err)
	}
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want one message", len(got))
	}
	if err := notify.Verify("a-long-signing-secret", got[0].header, got[0].body, sendAt, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	var p notify.WebhookPayload
	if err := json.Unmarshal(got[0].body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Event != "alert" || p.DeliveryID != ids[0] || p.Message.Title != "500 new backup problems: 500 Failed" ||
		len(p.Message.Runs) != notify.MaxListed || p.Message.Sections[0].More != 450 {
		t.Fatalf("payload: event %q, title %q, %d runs, %d more", p.Event, p.Message.Title, len(p.Message.Runs), p.Message.Sections[0].More)
	}
	if r := p.Message.Runs[0]; r.Customer != "Acme" || r.Job != "Nightly" || r.Status != "Failed" || !strings.HasPrefix(r.URL, base+"/jobs/") {
		t.Errorf("first run %+v", r)
	}
	// The same runs again (a re-import): no alert twice.
	if err := d.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return detect.Record(ctx, tx, runs) }); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, "SELECT count(*) FROM notify_alerts WHERE delivery_id IS NULL"); n != 0 {
		t.Errorf("%d alerts pending again", n)
	}
	if n := count(t, d, "SELECT count(*) FROM notify_deliveries WHERE status = 'sent'"); n != 1 {
		t.Errorf("%d deliveries sent", n)
	}
}

// A run already ticketed or overridden does not alert; one ticketed while its alert
// waited for its group is left out of the message.
func TestTicketedOrOverriddenDoNotAlert(t *testing.T) {
	d := dbtest.New(t)
	f := dbtest.Fixture(t, d)
	loc := amsterdam(t)
	at := time.Now().Add(-time.Hour)
	job := f.Customer("Acme").Job(dbtest.Job{Name: "Nightly"})
	plain := job.Run(dbtest.Run{Status: "Failed", At: at})
	overridden := job.Run(dbtest.Run{Status: "Failed", At: at.Add(time.Second), Overridden: "Success"})
	autotask := job.Run(dbtest.Run{Status: "Failed", At: at.Add(2 * time.Second), AutotaskTicketID: 77, AutotaskTicketNumber: "T2026.1"})
	ticketed := job.Run(dbtest.Run{Status: "Failed", At: at.Add(3 * time.Second)})
	later := job.Run(dbtest.Run{Status: "Missed", Source: "missed", At: at.Add(4 * time.Second)})
	warning := job.Run(dbtest.Run{Status: "Warning", At: at.Add(5 * time.Second)})
	var ticket int64
	if err := d.Bun.NewRaw("INSERT INTO tickets (ticket_code) VALUES ('T-1') RETURNING id").Scan(ctx, &ticket); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Bun.ExecContext(ctx, "INSERT INTO ticket_job_runs (ticket_id, job_run_id) VALUES (?, ?)", ticket, ticketed); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	ch := channel(t, d, notify.ChannelInput{Name: "Slack", Kind: notify.ChannelSlack, URL: rcv.URL})
	rule(t, d, notify.RuleInput{ChannelID: ch, Statuses: []string{"Failed", "Missed"}, GroupMinutes: "1"})

	all := []int64{plain, overridden, autotask, ticketed, later, warning}
	for range 2 { // twice: dedup
		if err := detect.Record(ctx, d.Bun, all); err != nil {
			t.Fatal(err)
		}
	}
	var alerted []int64
	if err := d.Bun.NewRaw("SELECT run_id FROM notify_alerts ORDER BY run_id").Scan(ctx, &alerted); err != nil {
		t.Fatal(err)
	}
	if len(alerted) != 2 || alerted[0] != plain || alerted[1] != later {
		t.Fatalf("alerted runs %v, want %d and %d", alerted, plain, later)
	}
	// A run whose result an integration changed to Success before the group is sent.
	fixed := job.Run(dbtest.Run{Status: "Failed", At: at.Add(6 * time.Second)})
	if err := detect.Record(ctx, d.Bun, []int64{fixed}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Bun.ExecContext(ctx, "UPDATE job_runs SET status = 'Success' WHERE id = ?", fixed); err != nil {
		t.Fatal(err)
	}
	// The missed run gets a ticket before the group is sent.
	if _, err := d.Bun.ExecContext(ctx, "INSERT INTO ticket_job_runs (ticket_id, job_run_id) VALUES (?, ?)", ticket, later); err != nil {
		t.Fatal(err)
	}
	ids, err := notify.Flush(ctx, d.Bun, time.Now().Add(2*time.Minute), loc, base)
	if err != nil || len(ids) != 1 {
		t.Fatalf("flush %v %v", ids, err)
	}
	if err := notify.Deliver(ctx, d.Bun, keys, notify.Sender{}, ids[0], 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	got := rcv.requests()
	var slack struct{ Text string }
	if len(got) != 1 || json.Unmarshal(got[0].body, &slack) != nil {
		t.Fatalf("%d requests", len(got))
	}
	if !strings.HasPrefix(slack.Text, "*Backup failed: Acme · Nightly*") || strings.Contains(slack.Text, "Missed") {
		t.Errorf("slack text:\n%s", slack.Text)
	}
	if n := count(t, d, "SELECT count(*) FROM notify_alerts WHERE skipped_at IS NOT NULL AND run_id IN (?, ?)", later, fixed); n != 2 {
		t.Error("the ticketed missed run or the run now successful was not skipped")
	}
}

func TestAllowedQuietHoursAndWorkingDays(t *testing.T) {
	loc := amsterdam(t)
	q := func(s string) *string { return &s }
	r := &db.NotifyRule{QuietFrom: q("22:00:00"), QuietTo: q("07:00:00"), WorkingDays: []int16{1, 2, 3, 4, 5}}
	for _, c := range []struct {
		at   string // local
		want bool
	}{
		{"2026-03-02 21:59", true},  // Monday evening
		{"2026-03-02 22:00", false}, // quiet from 22:00
		{"2026-03-03 03:00", false}, // across midnight
		{"2026-03-03 07:00", true},  // quiet ends
		{"2026-03-07 12:00", false}, // Saturday
		{"2026-03-08 12:00", false}, // Sunday
		{"2026-03-06 12:00", true},  // Friday
	} {
		at, _ := time.ParseInLocation("2006-01-02 15:04", c.at, loc)
		// The instant is given in UTC: the rule reads it in the UI timezone.
		if got := notify.Allowed(r, at.UTC(), loc); got != c.want {
			t.Errorf("%s: allowed %v, want %v", c.at, got, c.want)
		}
	}
	day := &db.NotifyRule{QuietFrom: q("09:00"), QuietTo: q("17:00"), WorkingDays: []int16{1, 2, 3, 4, 5, 6, 7}}
	for at, want := range map[string]bool{"2026-03-02 08:59": true, "2026-03-02 09:00": false, "2026-03-02 16:59": false, "2026-03-02 17:00": true} {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", at, loc)
		if got := notify.Allowed(day, tm, loc); got != want {
			t.Errorf("%s: allowed %v, want %v", at, got, want)
		}
	}
}

// Alerts found outside the working days wait and go out, grouped, when allowed.
func TestFlushHoldsOutsideWorkingDays(t *testing.T) {
	d := dbtest.New(t)
	f := dbtest.Fixture(t, d)
	loc := amsterdam(t)
	job := f.Customer("Acme").Job(dbtest.Job{Name: "Nightly"})
	rcv := newReceiver(t)
	ch := channel(t, d, notify.ChannelInput{Name: "Hook", Kind: notify.ChannelWebhook, URL: rcv.URL, Secret: "0123456789abcdef"})
	now := time.Now().Add(time.Hour)
	wd := int(now.In(loc).Weekday())
	if wd == 0 {
		wd = 7
	}
	otherDay := wd%7 + 1
	rid := rule(t, d, notify.RuleInput{ChannelID: ch, Statuses: []string{"Failed"}, GroupMinutes: "1", WorkingDays: []int{otherDay}})
	importRuns(t, d, job.ID, db.StatusFailed, 3, now.Add(-3*time.Hour))
	if ids, err := notify.Flush(ctx, d.Bun, now, loc, base); err != nil || len(ids) != 0 {
		t.Fatalf("sent on a day off: %v %v", ids, err)
	}
	if _, err := d.Bun.ExecContext(ctx, "UPDATE notify_rules SET working_days = ? WHERE id = ?", pgdialect.Array([]int16{int16(wd)}), rid); err != nil {
		t.Fatal(err)
	}
	if ids, err := notify.Flush(ctx, d.Bun, now, loc, base); err != nil || len(ids) != 1 {
		t.Fatalf("held alerts not sent: %v %v", ids, err)
	}
	// A disabled channel's pending alerts are dropped, not sent when it is enabled again.
	importRuns(t, d, job.ID, db.StatusFailed, 2, now.Add(-2*time.Hour))
	if _, err := d.Bun.ExecContext(ctx, "UPDATE notify_channels SET enabled = false"); err != nil {
		t.Fatal(err)
	}
	if ids, err := notify.Flush(ctx, d.Bun, now, loc, base); err != nil || len(ids) != 0 {
		t.Fatalf("sent to a disabled channel: %v %v", ids, err)
	}
	if n := count(t, d, "SELECT count(*) FROM notify_alerts WHERE skipped_at IS NOT NULL"); n != 2 {
		t.Errorf("%d alerts skipped, want 2", n)
	}
}

// A failed attempt is recorded as retrying and returned (River retries it, backing
// off); the last attempt failing marks the delivery failed and the channel failing,
// which a later success clears.
func TestDeliverRetryAndChannelHealth(t *testing.T) {
	d := dbtest.New(t)
	loc := amsterdam(t)
	rcv := newReceiver(t)
	ch := channel(t, d, notify.ChannelInput{Name: "Teams", Kind: notify.ChannelTeams, URL: rcv.URL})
	f := dbtest.Fixture(t, d)
	job := f.Customer("Acme").Job(dbtest.Job{Name: "Nightly"})
	rule(t, d, notify.RuleInput{ChannelID: ch, Statuses: []string{"Failed"}, GroupMinutes: "1"})
	importRuns(t, d, job.ID, db.StatusFailed, 2, time.Now().Add(-time.Hour))
	ids, err := notify.Flush(ctx, d.Bun, time.Now().Add(2*time.Minute), loc, base)
	if err != nil || len(ids) != 1 {
		t.Fatalf("%v %v", ids, err)
	}
	status := func(id int64) (string, int) {
		var s struct {
			Status   string
			Attempts int
		}
		if err := d.Bun.NewRaw("SELECT status, attempts FROM notify_deliveries WHERE id = ?", id).Scan(ctx, &s); err != nil {
			t.Fatal(err)
		}
		return s.Status, s.Attempts
	}
	rcv.failNext(2)
	for attempt := 1; attempt <= 2; attempt++ {
		if err := notify.Deliver(ctx, d.Bun, keys, notify.Sender{}, ids[0], attempt, time.Now()); err == nil || !strings.Contains(err.Error(), "503") {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		if s, n := status(ids[0]); s != "retrying" || n != attempt {
			t.Fatalf("after attempt %d: %s %d", attempt, s, n)
		}
	}
	if err := notify.Deliver(ctx, d.Bun, keys, notify.Sender{}, ids[0], 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	if s, n := status(ids[0]); s != "sent" || n != 3 {
		t.Fatalf("%s %d", s, n)
	}
	got := rcv.requests()
	var card struct {
		Type        string
		Attachments []struct {
			ContentType string
			Content     struct {
				Type    string
				Version string
				Body    []struct{ Text string }
				Actions []struct{ Type, URL string }
			}
		}
	}
	if len(got) != 1 || json.Unmarshal(got[0].body, &card) != nil || len(card.Attachments) != 1 {
		t.Fatalf("%d requests: %s", len(got), got)
	}
	a := card.Attachments[0]
	if card.Type != "message" || a.ContentType != "application/vnd.microsoft.card.adaptive" || a.Content.Type != "AdaptiveCard" ||
		a.Content.Body[0].Text != "2 new backup problems: 2 Failed" || a.Content.Actions[0].URL != base+"/runchecks" {
		t.Errorf("card %+v", card)
	}
	if notify.RetryDelay(1) != time.Minute || notify.RetryDelay(2) != 5*time.Minute || notify.RetryDelay(4) != 125*time.Minute {
		t.Error("backoff is not 1, 5, 25, 125 minutes")
	}

	// The last attempt fails: the delivery fails and the channel is flagged.
	rcv.failNext(1)
	err = notify.SendTest(ctx, d.Bun, keys, notify.Sender{}, admin, ch, time.Now(), base)
	if err == nil {
		t.Fatal("a refused test reported success")
	}
	failing, err := notify.FailingChannels(ctx, d.Bun)
	if err != nil || len(failing) != 1 || failing[0].ID != ch || !strings.Contains(failing[0].LastError, "503") {
		t.Fatalf("failing channels %+v %v", failing, err)
	}
	if strings.Contains(failing[0].LastError, rcv.URL) {
		t.Error("the webhook URL is in the stored error")
	}
	if err := notify.SendTest(ctx, d.Bun, keys, notify.Sender{}, admin, ch, time.Now(), base); err != nil {
		t.Fatal(err)
	}
	if failing, _ := notify.FailingChannels(ctx, d.Bun); len(failing) != 0 {
		t.Errorf("still failing after a success: %+v", failing)
	}
	page, err := notify.Deliveries(ctx, d.Bun, 1)
	if err != nil || page.Total != 3 || page.Rows[0].Kind != "test" || page.Rows[2].Alerts != 2 {
		t.Errorf("history %+v %v", page, err)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"event":"test"}`)
	now := time.Unix(1_780_000_000, 0)
	h := http.Header{}
	h.Set(notify.HeaderTimestamp, "1780000000")
	h.Set(notify.HeaderSignature, notify.Sign("s3cret-s3cret-s3cret", "1780000000", body))
	if err := notify.Verify("s3cret-s3cret-s3cret", h, body, now, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := notify.Verify("another-secret-value", h, body, now, 5*time.Minute); err == nil {
		t.Error("wrong secret accepted")
	}
	if err := notify.Verify("s3cret-s3cret-s3cret", h, []byte(`{"event":"alert"}`), now, 5*time.Minute); err == nil {
		t.Error("tampered body accepted")
	}
	if err := notify.Verify("s3cret-s3cret-s3cret", h, body, now.Add(time.Hour), 5*time.Minute); err == nil {
		t.Error("replayed old message accepted")
	}
	// The documented recipe (docs/notifications.md): hex HMAC-SHA256 of "<timestamp>.<body>".
	mac := hmac.New(sha256.New, []byte("key"))
	mac.Write([]byte("1.x"))
	if got, want := notify.Sign("key", "1", []byte("x")), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
}

func TestChannelFormKeepsSecrets(t *testing.T) {
	d := dbtest.New(t)
	rcv := newReceiver(t)
	id := channel(t, d, notify.ChannelInput{Name: "Hook", Kind: notify.ChannelWebhook, URL: rcv.URL, Secret: "0123456789abcdef"})
	// Saved again with URL and secret left empty: both kept.
	if _, err := notify.SaveChannel(ctx, d.Bun, keys, admin, id, notify.ChannelInput{Name: "Hook 2", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	ch, err := notify.GetChannel(ctx, d.Bun, id)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := notify.TargetOf(ch, keys)
	if err != nil || tg.URL != rcv.URL || tg.Secret != "0123456789abcdef" || ch.Name != "Hook 2" || ch.Kind != notify.ChannelWebhook {
		t.Fatalf("%+v %v", tg, err)
	}
	if strings.Contains(string(ch.URL), "127.0.0.1") {
		t.Error("the URL is stored in clear")
	}
	// Bad values come back per field.
	_, err = notify.SaveChannel(ctx, d.Bun, keys, admin, 0, notify.ChannelInput{Name: "Hook 2", Kind: notify.ChannelWebhook, URL: "ftp://x", Secret: "short"})
	if err == nil || !strings.Contains(err.Error(), "http(s)") || !strings.Contains(err.Error(), "16 characters") {
		t.Errorf("validation: %v", err)
	}
	if _, err = notify.SaveChannel(ctx, d.Bun, keys, admin, 0, notify.ChannelInput{Name: "hook 2", Kind: notify.ChannelEmail, Recipients: "ops@msp.example"}); err == nil ||
		!strings.Contains(err.Error(), "another channel") {
		t.Errorf("duplicate name: %v", err)
	}
	if n := count(t, d, "SELECT count(*) FROM audit_log WHERE action = ? AND details::text LIKE '%0123456789abcdef%'", notify.AuditChannelSaved); n != 0 {
		t.Error("the secret is in the audit log")
	}
}

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
