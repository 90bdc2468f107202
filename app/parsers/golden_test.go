package parsers_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/backupchecks/backupchecks/app/parsers"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current parsers")

// fixtureMail decodes an .eml fixture the way the import pipeline does.
func fixtureMail(t testing.TB, path string) *parsers.Mail {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m := &parsers.Mail{Subject: env.GetHeader("Subject"), Text: env.Text, HTML: env.HTML}
	if from, err := env.AddressList("From"); err == nil && len(from) > 0 {
		m.From = strings.ToLower(from[0].Address)
	}
	if d, err := env.Date(); err == nil {
		m.Received, m.Date = d.UTC(), d // as a Graph import: received in UTC, Date in the sender's zone
	} else {
		m.Received = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	for _, a := range env.Attachments {
		m.Attachments = append(m.Attachments, parsers.Attachment{Filename: a.FileName, ContentType: a.ContentType, Data: a.Content})
	}
	return m
}

// TestGolden parses every testdata/<vendor>/*.eml and compares the result with the
// .golden.json beside it (go test ./app/parsers -run TestGolden -update rewrites them;
// review the diff before committing).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures found")
	}
	reg := parsers.Default().In(amsterdam(t))
	for _, f := range files {
		t.Run(strings.TrimSuffix(f[len("testdata/"):], ".eml"), func(t *testing.T) {
			res := reg.Parse(fixtureMail(t, f))
			got, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(f, ".eml") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("no golden file (run with -update and review it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\ngot:\n%s\nwant:\n%s", f, golden, got, want)
			}
		})
	}
}

// amsterdam is the UI timezone of a fresh installation: the zone a report is read in
// when its mail does not tell the sender's.
func amsterdam(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// FuzzRegistry: no input makes a parser panic. The seed corpus is every fixture.
func FuzzRegistry(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.eml")
	for _, path := range files {
		m := fixtureMail(f, path)
		f.Add(m.From, m.Subject, m.Text, m.HTML)
	}
	reg := parsers.Default()
	f.Fuzz(func(t *testing.T, from, subject, text, html string) {
		res := reg.Parse(&parsers.Mail{From: from, Subject: subject, Text: text, HTML: html, Received: time.Unix(0, 0)})
		if res.Run == nil && res.Error == "" {
			t.Fatalf("no run and no error: %+v", res)
		}
		if res.Run != nil {
			switch res.Run.Status {
			case parsers.StatusSuccess, parsers.StatusWarning, parsers.StatusFailed, parsers.StatusInfo:
			default:
				t.Fatalf("parser %s returned status %q", res.Parser, res.Run.Status)
			}
		}
	})
}
