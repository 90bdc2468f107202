package jobs_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

// Re-parse all finishes its task with the count of mails re-parsed.
func TestMailReparseWorker(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	var msgs []mail.Message
	for i := 1; i <= 3; i++ {
		r, err := mail.Reduce(bytes.NewReader(parserstest.Mail(i, "Success", "Nightly")), mail.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, mail.Message{SourceID: string(rune('a' + i)), Raw: r.Raw, Size: r.Size})
	}
	if _, err := ingest.StoreBatch(ctx, d.Bun, parserstest.Registry(), db.SourceCLI, msgs, time.Now()); err != nil {
		t.Fatal(err)
	}
	taskID, err := tasks.Insert(ctx, d.Pool, tasks.KindMailReparse, 0)
	if err != nil {
		t.Fatal(err)
	}

	w := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.MailReparseWorker{DB: d, Registry: parserstest.Registry(), Now: time.Now})
	work(t, d, w, jobs.MailReparseArgs{TaskID: taskID})

	got, err := tasks.Get(ctx, d.Bun, taskID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "done" || got.FinishedAt == nil || !strings.HasPrefix(got.Message, "Re-parsed 3 mails") {
		t.Fatalf("task %s (finished %v): %q, want done with Re-parsed 3 mails", got.Status, got.FinishedAt, got.Message)
	}
}
