package ingest_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// benchMails generates mails [from, to) from a real-shaped Veeam backup job report
// (12 KB of HTML): 200 distinct jobs, each mail with its own Message-ID. Generated a
// batch at a time, as a mailbox hands them over, so memory reflects the pipeline.
func benchMails(tmpl []byte, from, to int) []mail.Message {
	out := make([]mail.Message, 0, to-from)
	for i := from; i < to; i++ {
		raw := bytes.ReplaceAll(tmpl, []byte("Daily VMs"), []byte(fmt.Sprintf("Daily VMs %03d", i%200)))
		// Each mail of a job is another session (its own start time), not a copy of the
		// same report, which would be linked to the first run instead of becoming one.
		raw = bytes.ReplaceAll(raw, []byte("22:00:03"), []byte(fmt.Sprintf("%02d:%02d:03", (i/200)/60%24, (i/200)%60)))
		raw = replaceHeader(raw, "Message-ID", fmt.Sprintf("<bench-%d@backup.example.net>", i))
		out = append(out, mail.Message{SourceID: "bench-" + strconv.Itoa(i), Raw: raw, Size: int64(len(raw)), ReceivedAt: time.Now()})
	}
	return out
}

func replaceHeader(raw []byte, name, value string) []byte {
	lines := strings.SplitAfter(string(raw), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.ToLower(l), strings.ToLower(name)+":") {
			lines[i] = name + ": " + value + "\r\n"
			return []byte(strings.Join(lines, ""))
		}
		if strings.TrimSpace(l) == "" {
			break
		}
	}
	return append([]byte(name+": "+value+"\r\n"), raw...)
}

// BenchmarkImportPipeline pushes 10,000 generated report mails through the whole
// pipeline (decode, parse, store, process into runs of known jobs) in batches of 50, as
// a mailbox import does. Half the jobs are known (approved beforehand), so half the
// mails become runs. Reports mails/s and the process's peak RSS.
func BenchmarkImportPipeline(b *testing.B) {
	const total, batch = 10000, 50
	reg := parsers.Default()
	tmpl, err := os.ReadFile("../parsers/testdata/veeam/br-backup-warning.eml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		d := dbtest.New(b)
		// Approve one mail of each of the first 100 jobs, so their later mails are processed.
		seed := benchMails(tmpl, 0, 100)
		for i := range seed {
			seed[i].SourceID = "seed-" + strconv.Itoa(i)
			seed[i].Raw = replaceHeader(seed[i].Raw, "Message-ID", fmt.Sprintf("<seed-%d@backup.example.net>", i))
			// An earlier session than any measured mail's, so none of those is its copy.
			seed[i].Raw = bytes.ReplaceAll(seed[i].Raw, []byte("00:00:03"), []byte("23:59:03"))
		}
		stored, err := ingest.StoreBatch(ctx, d.Bun, reg, db.SourceGraph, seed, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		for i, s := range stored {
			if s.Parsed == false {
				b.Fatalf("seed mail not parsed: %s", s.Error)
			}
			if _, err := inbox.Approve(ctx, d.Bun, audit.Actor{Name: "bench"}, inbox.Approval{MailID: s.MailID, NewCustomerName: fmt.Sprintf("Customer %d", i)}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		b.StartTimer()

		start := time.Now()
		runs := 0
		for off := 0; off < total; off += batch {
			out, err := ingest.StoreBatch(ctx, d.Bun, reg, db.SourceGraph, benchMails(tmpl, off, off+batch), time.Now())
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range out {
				if s.RunID != 0 {
					runs++
				}
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if runs != total/2 {
			b.Fatalf("%d mails became runs, want %d", runs, total/2)
		}
		// Below about 200 jobs a mail alternates known and unknown: half become runs.
		b.ReportMetric(float64(total)/elapsed.Seconds(), "mails/s")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
		b.StartTimer()
	}
}

// peakRSS reads the process's high-water resident set size (Linux).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
