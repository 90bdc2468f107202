package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/seed"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

// emlFiles expands the arguments: files as given, directories to their *.eml files.
func emlFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".eml") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// cmdImport stores .eml files through the same pipeline as a mailbox import.
func cmdImport(args []string, stdout io.Writer) error {
	fs := newFlagSet("import FILE.eml|DIR…", "Imports report mails from files (directories: every *.eml in them) into the database,\nexactly as a mailbox import does. A file imported before is recognised and skipped.")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("import: name at least one file or directory")
	}
	files, err := emlFiles(fs.Args())
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	ctx := context.Background()
	_, d, err := openDB(ctx, config.NeedDatabase)
	if err != nil {
		return err
	}
	defer d.Close()
	reg := parsers.Default()
	const batch = 50
	var failed int
	for start := 0; start < len(files); start += batch {
		chunk := files[start:min(start+batch, len(files))]
		var msgs []mail.Message
		var names []string
		for _, f := range chunk {
			raw, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintf(stdout, "%s: cannot read: %v\n", f, err)
				failed++
				continue
			}
			r, err := mail.Reduce(bytes.NewReader(raw), mail.DefaultLimits)
			if err != nil {
				fmt.Fprintf(stdout, "%s: cannot read: %v\n", f, err)
				failed++
				continue
			}
			msgs = append(msgs, mail.Message{SourceID: ingest.ContentSourceID(raw), Raw: r.Raw, Size: r.Size, Skipped: r.Skipped})
			names = append(names, f)
		}
		stored, err := ingest.StoreBatch(ctx, d.Bun, reg, db.SourceCLI, msgs, time.Now())
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		byID := map[string]ingest.Stored{}
		for _, s := range stored {
			byID[s.SourceID] = s
		}
		for i, m := range msgs {
			s := byID[m.SourceID]
			switch {
			case s.Duplicate:
				fmt.Fprintf(stdout, "%s: already imported (mail %d)\n", names[i], s.MailID)
			case s.RunID != 0:
				fmt.Fprintf(stdout, "%s: mail %d became run %d of job %d\n", names[i], s.MailID, s.RunID, s.JobID)
			case !s.Parsed:
				fmt.Fprintf(stdout, "%s: mail %d waits in the Inbox, unparsed: %s\n", names[i], s.MailID, s.Error)
			default:
				fmt.Fprintf(stdout, "%s: mail %d waits in the Inbox for approval\n", names[i], s.MailID)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("import: %d file(s) could not be read", failed)
	}
	return nil
}

// parseOutput is what `parse` prints for one file.
type parseOutput struct {
	File    string `json:"file"`
	From    string `json:"from,omitempty"`
	Subject string `json:"subject,omitempty"`
	parsers.Result
}

// cmdParse runs the parser registry over files and prints the results as JSON.
func cmdParse(args []string, stdout io.Writer) error {
	fs := newFlagSet("parse FILE.eml|DIR…", "Runs the parsers over mails and prints, as a JSON array with one object per file, which\nparsers were tried, which matched, and the extracted run (or why nothing matched).\nNeeds no database.")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("parse: name at least one file or directory")
	}
	files, err := emlFiles(fs.Args())
	if err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	reg := parsers.Default()
	out := make([]parseOutput, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("parse: %w", err)
		}
		tr := ingest.TryParsers(reg, raw, time.Now())
		out = append(out, parseOutput{File: f, From: tr.From, Subject: tr.Subject, Result: tr.Result})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// cmdSeed generates a demo or benchmark dataset.
func cmdSeed(args []string, stdout io.Writer) error {
	fs := newFlagSet("seed [flags]", "Generates customers, jobs of mixed vendors and schedules, and their run history, for\ndemos and benchmarks (make bench). Adds to what is there; running it twice adds nothing twice.")
	customers := fs.Int("customers", 100, "customers to create")
	jobsN := fs.Int("jobs", 1000, "jobs to create, spread over the customers")
	days := fs.Int("days", 90, "days of run history")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if *customers < 1 || *jobsN < 1 || *days < 1 {
		return fmt.Errorf("seed: --customers, --jobs and --days must be positive")
	}
	ctx := context.Background()
	_, d, err := openDB(ctx, config.NeedDatabase)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := db.Migrate(ctx, d); err != nil {
		return err
	}
	s, err := settings.Load(ctx, d.Bun)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := seed.Generate(ctx, d.Bun, seed.Options{Customers: *customers, Jobs: *jobsN, Days: *days,
		Now: time.Now(), Timezone: s.UITimezone})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d customers, %d jobs, %d runs in %s\n", res.Customers, res.Jobs, res.Runs, time.Since(start).Round(time.Second))
	return nil
}
