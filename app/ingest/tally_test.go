package ingest_test

import (
	"testing"

	"github.com/backupchecks/backupchecks/app/ingest"
)

func TestTally(t *testing.T) {
	stored := []ingest.Stored{
		{Duplicate: true, Parsed: true, MailID: 1},
		{SameReport: true, Parsed: true, JobID: 2},
		{RunID: 3, JobID: 2, Parsed: true},
		{RunID: 4, JobID: 2, Parsed: true},
		{Parsed: true},
		{Error: "no parser recognised this mail"},
	}
	want := []ingest.Outcome{ingest.OutcomeDuplicate, ingest.OutcomeSameReport, ingest.OutcomeRun, ingest.OutcomeRun,
		ingest.OutcomeInbox, ingest.OutcomeUnparsed}
	for i, s := range stored {
		if got := s.Outcome(); got != want[i] {
			t.Errorf("Outcome of %+v = %d, want %d", s, got, want[i])
		}
	}
	var tally ingest.Tally
	tally.Add(stored)
	if tally != (ingest.Tally{Stored: 5, Duplicates: 1, Runs: 2, Copies: 1, Inbox: 2, Unparsed: 1}) || tally.Total() != 6 {
		t.Fatalf("tally = %+v (total %d)", tally, tally.Total())
	}
}
