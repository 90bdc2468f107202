package ingest_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// veeamFixture is one of the parsers' Veeam fixtures as a mailbox delivers it.
func veeamFixture(t *testing.T, name string, received string) mail.Message {
	t.Helper()
	raw, err := os.ReadFile("../parsers/testdata/veeam/" + name)
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339, received)
	if err != nil {
		t.Fatal(err)
	}
	return mail.Message{SourceID: name, ReceivedAt: at, Raw: raw, Size: int64(len(raw))}
}

// runOf is what these tests check of a job's runs.
type runOf struct {
	RunAt    time.Time `bun:"run_at"`
	MailID   int64     `bun:"mail_message_id"`
	TimeNote string    `bun:"time_note"`
}

func runsOf(t *testing.T, d *db.DB, jobID int64) []runOf {
	t.Helper()
	var out []runOf
	if err := d.Bun.NewRaw(`SELECT run_at, mail_message_id, coalesce(time_note, '') AS time_note
		FROM job_runs WHERE job_id = ? ORDER BY id`, jobID).Scan(ctx, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// A Veeam Agent report relayed with the relay's Date offset (-0700), and the same report
// forwarded the next night: in whatever order or batch they come, they are one run,
// dated no later than the mail that reports it, on the day the job ran, with a note.
func TestCopiesOfAReportAreOneRun(t *testing.T) {
	reg := parsers.Default()
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	const origReceived, fwdReceived = "2026-10-05T18:04:10Z", "2026-10-05T22:06:20Z"
	orig := func() mail.Message {
		return veeamFixture(t, "agent-windows-relay-offset.eml", origReceived)
	}
	fwd := func() mail.Message {
		return veeamFixture(t, "agent-windows-relay-offset-forward.eml", fwdReceived)
	}
	for _, tc := range []struct {
		name    string
		batches [][]mail.Message
		// wantAt is the run's time: the relayed report's is its mail's arrival (its times
		// read in the UI zone are later than that); the forwarded copy's is its start.
		wantAt   string
		wantNote bool
	}{
		{"the relayed report, then the forwarded copy", [][]mail.Message{{orig()}, {fwd()}}, origReceived, true},
		{"the forwarded copy, then the relayed report", [][]mail.Message{{fwd()}, {orig()}}, "2026-10-05T19:00:00Z", false},
		{"both in one batch", [][]mail.Message{{fwd(), orig()}}, origReceived, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dbtest.New(t)
			var stored []ingest.Stored
			var jobID int64
			for i, batch := range tc.batches {
				out, err := ingest.StoreBatch(ctx, d.Bun, reg, db.SourceGraph, batch, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				stored = append(stored, out...)
				if i == 0 {
					res, err := inbox.Approve(ctx, d.Bun, audit.Actor{Name: "test"}, inbox.Approval{MailID: out[0].MailID, NewCustomerName: "Sales Ltd"})
					if err != nil {
						t.Fatalf("approve: %v", err)
					}
					jobID = res.JobID
					if res.Processed != 1 || res.Copies != len(batch)-1 {
						t.Fatalf("approve = %+v, want 1 run and %d copies", res, len(batch)-1)
					}
				}
			}
			runs := runsOf(t, d, jobID)
			if len(runs) != 1 {
				t.Fatalf("%d runs of one report, want 1: %+v", len(runs), runs)
			}
			want, _ := time.Parse(time.RFC3339, tc.wantAt)
			if !runs[0].RunAt.Equal(want) {
				t.Errorf("run at %s, want %s", runs[0].RunAt.UTC(), want)
			}
			if day := runs[0].RunAt.In(ams).Format("2006-01-02"); day != "2026-10-05" {
				t.Errorf("the run is on %s, not the day the job ran", day)
			}
			if got := runs[0].TimeNote != ""; got != tc.wantNote {
				t.Errorf("time note %q, want one: %v", runs[0].TimeNote, tc.wantNote)
			}
			if last := stored[len(stored)-1]; len(tc.batches) > 1 && (!last.SameReport || last.JobID != jobID || last.RunID != 0) {
				t.Errorf("the second copy: %+v, want a copy of the job's report", last)
			}
			if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE location = 'processed' AND job_id = ?", jobID); n != 2 {
				t.Errorf("%d mails linked to the job, want both", n)
			}
		})
	}
}

// genericMail is a mail of a product no parser knows: the generic parser reads its
// status from the subject and no job name.
func genericMail(n int, subject string) mail.Message {
	raw := fmt.Sprintf("From: Backup script <backup@script.example.org>\r\nTo: reports@msp.example.com\r\n"+
		"Subject: %s\r\nDate: Tue, 03 Mar 2026 02:%02d:00 +0100\r\nMessage-ID: <script-%d@script.example.org>\r\n\r\nlog\r\n", subject, n%60, n)
	return mail.Message{SourceID: fmt.Sprintf("script-%d", n), Raw: []byte(raw), Size: int64(len(raw))}
}

// Mail of an unsupported product becomes a job when the approver names it; its match
// rule then makes the stream's later mails runs of it, and only them.
func TestMatchRuleMakesUnknownMailsRuns(t *testing.T) {
	d := dbtest.New(t)
	out := store(t, d,
		genericMail(1, "[Failed] Borg backup srv-web2 - 2026-03-03 02:01"),
		genericMail(2, "[Success] Borg backup srv-web2 - 2026-03-04 02:01"),
		genericMail(3, "[Success] Borg backup srv-db1 - 2026-03-04 02:05"))
	mailID := out[0].MailID
	det, err := inbox.Get(ctx, d.Bun, mailID)
	if err != nil {
		t.Fatal(err)
	}
	if !det.NeedsJobName() || det.Approvable() != "" {
		t.Fatalf("a generic mail: needs a name %v, approvable %q", det.NeedsJobName(), det.Approvable())
	}
	subject := *det.Mail.Subject
	name, pattern := parsers.SuggestedJobName(subject), parsers.SuggestedSubjectPattern(subject)
	if name != "Borg backup srv-web2" || pattern != "[*] Borg backup srv-web2 - *" {
		t.Fatalf("suggested %q / %q", name, pattern)
	}

	// Field errors come all at once.
	for _, tc := range []struct {
		name, pattern, customer string
		want                    []string
	}{
		{"", "*", "", []string{"customer_name", "job_name", "subject_pattern"}},
		{name, "[*] Borg backup srv-db1 - *", "Script Co", []string{"subject_pattern"}},
	} {
		_, err := inbox.Approve(ctx, d.Bun, audit.Actor{}, inbox.Approval{MailID: mailID, NewCustomerName: tc.customer, JobName: tc.name, SubjectPattern: tc.pattern})
		fe, ok := validation.As(err)
		if !ok || len(fe) != len(tc.want) {
			t.Fatalf("approve %+v: %v, want errors on %v", tc, err, tc.want)
		}
		for _, f := range tc.want {
			if fe[f] == "" {
				t.Errorf("no error on %s: %v", f, fe)
			}
		}
	}
	if n := count(t, d, "SELECT count(*) FROM jobs"); n != 0 {
		t.Fatalf("a refused approval left %d jobs", n)
	}

	res, err := inbox.Approve(ctx, d.Bun, audit.Actor{Name: "ops"}, inbox.Approval{MailID: mailID, NewCustomerName: "Script Co", JobName: name, SubjectPattern: pattern})
	if err != nil {
		t.Fatal(err)
	}
	if !res.JobCreated || res.Processed != 2 {
		t.Fatalf("approve = %+v, want a job and both srv-web2 mails as runs", res)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE location = 'inbox'"); n != 1 {
		t.Fatalf("%d mails left in the Inbox, want srv-db1's", n)
	}
	if n := count(t, d, `SELECT count(*) FROM audit_log WHERE action = 'mail.approved' AND details->'match_rule'->>'subject_pattern' = ?`, pattern); n != 1 {
		t.Errorf("the rule is not in the audit entry")
	}

	// The stream's next mail is a run at once; another name from the same sender is refused.
	next := store(t, d, genericMail(4, "[Warning] Borg backup SRV-WEB2 - 2026-03-05 02:01"))
	if next[0].JobID != res.JobID || next[0].RunID == 0 {
		t.Fatalf("the next mail of the stream: %+v", next[0])
	}
	_, err = inbox.Approve(ctx, d.Bun, audit.Actor{}, inbox.Approval{MailID: out[2].MailID, CustomerID: 0, NewCustomerName: "Other",
		JobName: name, SubjectPattern: "[*] Borg backup srv-db1 - *"})
	if fe, ok := validation.As(err); !ok || !strings.Contains(fe["job_name"], "Script Co already has a job") {
		t.Fatalf("the same job name twice for one sender: %v", err)
	}

	// The rule, edited on the job, takes the waiting srv-db1 mail too.
	m, err := jobs.GetMatching(ctx, d.Bun, res.JobID)
	if err != nil || m.Rule == nil || m.Rule.SubjectPattern != pattern || m.Rule.FromAddress != "backup@script.example.org" {
		t.Fatalf("matching = %+v, %v", m, err)
	}
	if _, err := jobs.SetMatchRule(ctx, d.Bun, audit.Actor{}, res.JobID, "backup@script.example.org", "  "); err == nil {
		t.Fatal("a blank pattern was saved")
	}
	n, err := jobs.SetMatchRule(ctx, d.Bun, audit.Actor{Name: "ops"}, res.JobID, "Backup@Script.example.org", "[*] Borg backup srv-*")
	if err != nil || n != 1 {
		t.Fatalf("set rule: %d runs, %v", n, err)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE location = 'inbox'"); n != 0 {
		t.Fatalf("%d mails left in the Inbox after widening the rule", n)
	}

	// An archived job takes no runs: its stream's mail waits in the Inbox.
	if err := jobs.SetArchived(ctx, d.Bun, audit.Actor{}, res.JobID, true, time.Now()); err != nil {
		t.Fatal(err)
	}
	if s := store(t, d, genericMail(5, "[Success] Borg backup srv-web2 - 2026-03-06 02:01")); s[0].RunID != 0 {
		t.Fatalf("an archived job took a run: %+v", s[0])
	}
}

// A subject pattern is matched literally but for *: %, _ and \ in it match only
// themselves, in the database as in the approve form's check.
func TestSubjectPatternIsLiteral(t *testing.T) {
	d := dbtest.New(t)
	for _, tc := range []struct {
		pattern, subject string
		want             bool
	}{
		{"Backup 100% done *", "Backup 100% done 2026-03-03", true},
		{"Backup 100% done *", "Backup 1000 done 2026-03-03", false},
		{"job_a *", "jobXa ok", false},
		{`C:\backup *`, `C:\backup ok`, true},
		{"nightly *", "NIGHTLY ok", true},
		{"nightly *", "weekly nightly ok", false},
	} {
		errs, err := jobs.CheckMatchRule(ctx, d.Bun, "a@example.com", tc.pattern, tc.subject)
		if err != nil {
			t.Fatal(err)
		}
		if got := errs["subject_pattern"] == ""; got != tc.want {
			t.Errorf("%q matches %q: %v, want %v", tc.pattern, tc.subject, got, tc.want)
		}
	}
}
