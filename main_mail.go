package main

import (
	"context"
	"encoding/json"
	"errors"
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
	fs := newFlagSet("import FILE.eml|DIR…", "Imports report mails from files (directories: every *.eml in them) into the database,\nexactly as a mailbox import does. A file imported before is recognised and skipped;\na file over the size limit (32 MB) is refused, never stored cut off.")
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
	// A batch is stored in one go: at most 50 files or 32 MiB of mail, so that memory
	// stays bounded however many files are named.
	const batchFiles, batchBytes = 50, 32 << 20
	var (
		msgs   []mail.Message
		names  []string
		size   int
		failed int
	)
	flush := func() error {
		if len(msgs) == 0 {
			return nil
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
			switch s.Outcome() {
			case ingest.OutcomeDuplicate:
				fmt.Fprintf(stdout, "%s: already imported (mail %d)\n", names[i], s.MailID)
			case ingest.OutcomeSameReport:
				fmt.Fprintf(stdout, "%s: mail %d is a copy of a report already a run of job %d\n", names[i], s.MailID, s.JobID)
			case ingest.OutcomeRun:
				fmt.Fprintf(stdout, "%s: mail %d became run %d of job %d\n", names[i], s.MailID, s.RunID, s.JobID)
			case ingest.OutcomeAccountReport:
				fmt.Fprintf(stdout, "%s: mail %d is a report on many accounts; its accounts are on their page (Cloud Connect → Accounts)\n", names[i], s.MailID)
			case ingest.OutcomeUnparsed:
				fmt.Fprintf(stdout, "%s: mail %d waits in the Inbox, unparsed: %s\n", names[i], s.MailID, s.Error)
			default:
				fmt.Fprintf(stdout, "%s: mail %d waits in the Inbox for approval\n", names[i], s.MailID)
			}
		}
		msgs, names, size = nil, nil, 0
		return nil
	}
	for _, f := range files {
		m, err := readEMLFile(f, mail.DefaultLimits)
		if err != nil {
			// One unreadable or oversized file does not stop the others.
			fmt.Fprintf(stdout, "%s: not imported: %v\n", f, err)
			failed++
			continue
		}
		msgs, names, size = append(msgs, m), append(names, f), size+len(m.Raw)
		if len(msgs) >= batchFiles || size >= batchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("import: %d file(s) not imported", failed)
	}
	return nil
}

// readEMLFile reads one file into a Message (mail.ReadFile); a file over the size limit
// is refused with its size and the limit rather than stored cut off.
func readEMLFile(name string, lim mail.Limits) (mail.Message, error) {
	var size int64
	if info, err := os.Stat(name); err == nil && info.Mode().IsRegular() {
		size = info.Size()
	}
	m, err := mail.ReadFile(func() (io.ReadCloser, error) { return os.Open(name) }, size, lim)
	var tooLarge *mail.TooLargeError
	switch {
	case errors.As(err, &tooLarge) && tooLarge.Size > 0:
		return mail.Message{}, fmt.Errorf("the file is %s, %w", mail.FormatSize(tooLarge.Size), err)
	case errors.As(err, &tooLarge):
		return mail.Message{}, err
	case err != nil:
		return mail.Message{}, fmt.Errorf("cannot read: %w", err)
	}
	return m, nil
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
