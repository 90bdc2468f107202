package ingest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/mail/graph"
	"github.com/backupchecks/backupchecks/app/mail/graph/graphtest"
	"github.com/backupchecks/backupchecks/app/mail/imap"
	"github.com/backupchecks/backupchecks/app/mail/imap/imaptest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

func importer(d *db.DB) *ingest.Importer {
	return &ingest.Importer{DB: d, Registry: registry, Now: time.Now}
}

// crashingSource fails MarkProcessed once, as a process dying between the database
// commit and the move would.
type crashingSource struct {
	mail.Source
	crashed bool
}

func (c *crashingSource) MarkProcessed(ctx context.Context, ids []string) error {
	if !c.crashed {
		c.crashed = true
		return errors.New("simulated crash after the commit")
	}
	return c.Source.MarkProcessed(ctx, ids)
}

func TestImportFromGraphExactlyOnce(t *testing.T) {
	d := dbtest.New(t)
	fake := graphtest.NewFakeServer(t)
	fake.AddFolder("Inbox/Processed")
	fake.SetPageSize(3) // listing pages with @odata.nextLink
	for i := 1; i <= 7; i++ {
		fake.AddMessage("Inbox", reportMail(i, "Success", "Nightly").Raw, time.Date(2026, 3, 2, 22, i, 0, 0, time.UTC))
	}
	src, err := graph.New(fake.Config("Inbox", "Inbox/Processed"))
	if err != nil {
		t.Fatal(err)
	}

	// First import dies between storing the first round and moving it.
	crash := &crashingSource{Source: src}
	res, err := importer(d).Import(ctx, crash, "graph:test", 5)
	if err == nil || res.Stored != 5 {
		t.Fatalf("crashing import: %+v, %v; want 5 stored and an error", res, err)
	}
	if n := len(fake.Messages("Inbox")); n != 7 {
		t.Fatalf("%d messages left in Inbox after the crash, want 7 (none moved)", n)
	}

	// The rerun finds the 5 again (duplicates, only moved) and the 2 new ones.
	res, err = importer(d).Import(ctx, crash, "graph:test", 5)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicates != 5 || res.Stored != 2 {
		t.Fatalf("rerun: %+v, want 5 duplicates and 2 stored", res)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages"); n != 7 {
		t.Fatalf("%d mails stored, want exactly 7", n)
	}
	if in, done := len(fake.Messages("Inbox")), len(fake.Messages("Inbox/Processed")); in != 0 || done != 7 {
		t.Fatalf("after the rerun: %d in Inbox, %d processed", in, done)
	}

	// Nothing left: a third import does nothing; the token was fetched once per source.
	res, err = importer(d).Import(ctx, src, "graph:test", 5)
	if err != nil || res.Fetched != 0 {
		t.Fatalf("third import: %+v %v", res, err)
	}
	if n := fake.TokenRequests(); n != 1 {
		t.Fatalf("token fetched %d times, want once", n)
	}
}

func TestImportRetriesThrottledGraph(t *testing.T) {
	d := dbtest.New(t)
	fake := graphtest.NewFakeServer(t)
	fake.AddFolder("Processed")
	fake.AddMessage("Inbox", reportMail(1, "Failed", "Nightly").Raw, time.Now())
	fake.Throttle(2, "3")
	fake.FailNext(1, 500)
	src, _ := graph.New(fake.Config("Inbox", "Processed"))
	res, err := importer(d).Import(ctx, src, "graph:test", 10)
	if err != nil || res.Stored != 1 {
		t.Fatalf("import through 429s and a 500: %+v %v", res, err)
	}
	if len(fake.Slept()) < 3 {
		t.Fatalf("waited %v, want the Retry-After waits and a backoff", fake.Slept())
	}
}

func TestImportFromIMAP(t *testing.T) {
	for _, tc := range []struct {
		name      string
		processed string
	}{{"move", "Processed"}, {"flag", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			d := dbtest.New(t)
			srv := imaptest.NewServer(t)
			if tc.processed != "" {
				srv.CreateFolder(tc.processed)
			}
			for i := 1; i <= 4; i++ {
				srv.Append("INBOX", reportMail(i, "Warning", "Nightly", "object: vm01 Warning slow").Raw, time.Now().Add(time.Duration(i)*time.Minute))
			}
			cfg := srv.Config()
			cfg.ProcessedFolder = tc.processed
			src, err := imap.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := importer(d).Import(ctx, src, "imap:test", 3)
			if err != nil || res.Stored != 4 || res.Rounds != 2 {
				t.Fatalf("import: %+v %v", res, err)
			}
			res, err = importer(d).Import(ctx, src, "imap:test", 3)
			if err != nil || res.Fetched != 0 {
				t.Fatalf("second import: %+v %v", res, err)
			}
			if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE source = 'imap'"); n != 4 {
				t.Fatalf("%d mails stored, want 4", n)
			}
			if tc.processed != "" && len(srv.Messages(tc.processed)) != 4 {
				t.Fatalf("%d messages moved", len(srv.Messages(tc.processed)))
			}
		})
	}
}

func TestOneImportPerMailbox(t *testing.T) {
	d := dbtest.New(t)
	fake := graphtest.NewFakeServer(t)
	fake.AddFolder("Processed")
	src, _ := graph.New(fake.Config("Inbox", "Processed"))
	// Another replica holds the mailbox's lock: import on a second connection and see it refused.
	started := make(chan struct{})
	release := make(chan struct{})
	blocking := &blockingSource{Source: src, started: started, release: release}
	done := make(chan error, 1)
	go func() {
		_, err := importer(d).Import(ctx, blocking, "graph:same", 5)
		done <- err
	}()
	<-started
	if _, err := importer(d).Import(ctx, src, "graph:same", 5); !errors.Is(err, ingest.ErrImportRunning) {
		t.Fatalf("second import of the same mailbox: err = %v, want ErrImportRunning", err)
	}
	if _, err := importer(d).Import(ctx, src, "graph:other", 5); err != nil {
		t.Fatalf("import of another mailbox: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type blockingSource struct {
	mail.Source
	started, release chan struct{}
}

func (b *blockingSource) Fetch(ctx context.Context, limit int) ([]mail.Message, error) {
	close(b.started)
	<-b.release
	return b.Source.Fetch(ctx, limit)
}
