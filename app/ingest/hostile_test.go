package ingest_test

import (
	"net/http"
	"strings"
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

// storedMail is what these tests check of a stored mail.
type storedMail struct {
	SourceID   string `bun:"source_id"`
	RawLen     int    `bun:"raw_len"`
	Size       int64  `bun:"size"`
	Truncated  bool   `bun:"truncated"`
	Status     string `bun:"status"`
	ParseError string `bun:"parse_error"`
}

func storedMails(t *testing.T, d *db.DB) []storedMail {
	t.Helper()
	var out []storedMail
	if err := d.Bun.NewRaw(`SELECT source_id, octet_length(raw_mime) AS raw_len, size, truncated,
		coalesce(parsed_status, '') AS status, coalesce(parse_error, '') AS parse_error
		FROM mail_messages ORDER BY id`).Scan(ctx, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantEmptyAmongGood checks that the two report mails were parsed and the empty one
// was stored, unparsed, with its reason.
func wantEmptyAmongGood(t *testing.T, d *db.DB) {
	t.Helper()
	mails := storedMails(t, d)
	if len(mails) != 3 {
		t.Fatalf("%d mails stored, want 3: %+v", len(mails), mails)
	}
	var empty, parsed int
	for _, m := range mails {
		switch {
		case m.Status == "Success":
			parsed++
		case m.RawLen <= 2 && strings.HasPrefix(m.ParseError, "empty message"):
			empty++
		}
	}
	if parsed != 2 || empty != 1 {
		t.Fatalf("stored %+v; want 2 parsed reports and 1 empty mail with its reason", mails)
	}
}

func TestSecurityEmptyMailDoesNotBlockGraphImport(t *testing.T) {
	d := dbtest.New(t)
	fake := graphtest.NewFakeServer(t)
	fake.AddFolder("Processed")
	t0 := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	fake.AddMessage("Inbox", reportMail(1, "Success", "Nightly").Raw, t0)
	fake.AddMessage("Inbox", nil, t0.Add(time.Minute)) // $value answers 200 with no body
	fake.AddMessage("Inbox", reportMail(2, "Success", "Nightly").Raw, t0.Add(2*time.Minute))
	src, err := graph.New(fake.Config("Inbox", "Processed"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer(d).Import(ctx, src, "graph:test", 10)
	if err != nil || res.Stored != 3 || res.Unparsed != 1 {
		t.Fatalf("import: %+v, %v; want 3 stored, 1 unparsed", res, err)
	}
	if in, done := len(fake.Messages("Inbox")), len(fake.Messages("Processed")); in != 0 || done != 3 {
		t.Fatalf("%d left in Inbox, %d moved; want all 3 moved", in, done)
	}
	wantEmptyAmongGood(t, d)
}

func TestSecurityEmptyMailDoesNotBlockIMAPImport(t *testing.T) {
	d := dbtest.New(t)
	srv := imaptest.NewServer(t)
	srv.CreateFolder("Processed")
	t0 := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	srv.Append("INBOX", reportMail(1, "Success", "Nightly").Raw, t0)
	srv.AppendEmpty("INBOX", t0.Add(time.Minute)) // BODY[] {0}
	srv.Append("INBOX", reportMail(2, "Success", "Nightly").Raw, t0.Add(2*time.Minute))
	cfg := srv.Config()
	cfg.ProcessedFolder = "Processed"
	src, err := imap.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer(d).Import(ctx, src, "imap:test", 10)
	if err != nil || res.Stored != 3 || res.Unparsed != 1 {
		t.Fatalf("import: %+v, %v; want 3 stored, 1 unparsed", res, err)
	}
	if in, done := len(srv.Messages("INBOX")), len(srv.Messages("Processed")); in != 0 || done != 3 {
		t.Fatalf("%d left in INBOX, %d moved; want all 3 moved", in, done)
	}
	wantEmptyAmongGood(t, d)
}

// A mail over the size limit (even without its attachments) is stored with what is
// kept, marked as cut off and unparsed with the reason, and moved; "Re-parse all"
// leaves it so.
func TestSecurityOversizedMailIsStoredCutOffAndSaysSo(t *testing.T) {
	d := dbtest.New(t)
	fake := graphtest.NewFakeServer(t)
	fake.AddFolder("Processed")
	t0 := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	huge := reportMail(1, "Success", "Nightly", strings.Repeat("object: vm01 Success\r\n", 2000)).Raw // ~44 KB of text body
	fake.AddMessage("Inbox", huge, t0)
	fake.AddMessage("Inbox", reportMail(2, "Success", "Nightly").Raw, t0.Add(time.Minute))
	cfg := fake.Config("Inbox", "Processed")
	cfg.Limits = mail.Limits{MaxMessage: 16 << 10, MaxAttachment: 8 << 10}
	src, err := graph.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer(d).Import(ctx, src, "graph:test", 10)
	if err != nil || res.Stored != 2 {
		t.Fatalf("import: %+v, %v; want 2 stored", res, err)
	}
	if done := len(fake.Messages("Processed")); done != 2 {
		t.Fatalf("%d moved, want 2", done)
	}
	check := func(when string) {
		t.Helper()
		mails := storedMails(t, d)
		big := mails[0]
		if !big.Truncated || big.Status != "" || big.Size != int64(len(huge)) || big.RawLen > 16<<10 ||
			!strings.Contains(big.ParseError, "too large") || !strings.Contains(big.ParseError, "not parsed") {
			t.Fatalf("%s: oversized mail stored as %+v; want cut off, unparsed, with the reason", when, big)
		}
		if mails[1].Status != "Success" || mails[1].Truncated {
			t.Fatalf("%s: the other mail: %+v", when, mails[1])
		}
	}
	check("after import")
	if _, err := ingest.Reparse(ctx, d.Bun, registry, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	check("after re-parse")
}

// A message whose download keeps failing stays in the mailbox for the next import;
// the others are stored and moved, and the result says so.
func TestImportLeavesAnUndownloadableMessageForLater(t *testing.T) {
	d := dbtest.New(t)
	fake := graphtest.NewFakeServer(t)
	fake.AddFolder("Processed")
	t0 := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	fake.AddMessage("Inbox", reportMail(1, "Success", "Nightly").Raw, t0)
	bad := fake.AddMessage("Inbox", reportMail(2, "Success", "Nightly").Raw, t0.Add(time.Minute))
	fake.AddMessage("Inbox", reportMail(3, "Success", "Nightly").Raw, t0.Add(2*time.Minute))
	fake.Inject(graphtest.Fault{Match: bad + "/$value", Times: 100, Status: http.StatusInternalServerError})
	cfg := fake.Config("Inbox", "Processed")
	cfg.MaxRetries = -1
	src, err := graph.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer(d).Import(ctx, src, "graph:test", 10)
	if err != nil || res.Stored != 2 || res.NotDownloaded != 1 {
		t.Fatalf("import: %+v, %v; want 2 stored, 1 not downloaded", res, err)
	}
	if left := fake.Messages("Inbox"); len(left) != 1 || left[0] != bad {
		t.Fatalf("left in Inbox: %v, want only %s", left, bad)
	}
	if s := res.String(); !strings.Contains(s, "1 could not be downloaded and stay in the mailbox") || !strings.Contains(s, "500") {
		t.Fatalf("result text %q does not say what was left and why", s)
	}
}

// A mail the database refuses (here: a trigger refusing one job name) is stored
// again without its parse result, with the reason; the rest of its batch is stored
// and processed as usual.
func TestStoreBatchIsolatesAMailTheDatabaseRefuses(t *testing.T) {
	d := dbtest.New(t)
	if _, err := d.Bun.ExecContext(ctx, `
		CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.parsed_job_name = 'Poison' THEN RAISE EXCEPTION 'poison refused'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_poison BEFORE INSERT ON mail_messages FOR EACH ROW EXECUTE FUNCTION refuse_poison();`); err != nil {
		t.Fatal(err)
	}
	out := store(t, d, reportMail(1, "Success", "Nightly"), reportMail(2, "Failed", "Poison"), reportMail(3, "Warning", "Nightly"))
	if len(out) != 3 {
		t.Fatalf("%d results, want 3: %+v", len(out), out)
	}
	for i, s := range out {
		if s.MailID == 0 || s.Duplicate {
			t.Fatalf("mail %d not stored: %+v", i+1, s)
		}
	}
	if out[1].Parsed || !strings.Contains(out[1].Error, "poison refused") || !out[0].Parsed || !out[2].Parsed {
		t.Fatalf("results %+v; want the refused mail unparsed with the database's reason, the others parsed", out)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE subject LIKE '%Poison%' AND octet_length(raw_mime) > 0"); n != 1 {
		t.Fatalf("refused mail kept %d times with its MIME and subject, want once", n)
	}
}
