package ingest

// Outcome is what became of one message handed to StoreBatch.
type Outcome int

// Outcomes of a stored message.
const (
	// OutcomeInbox: stored and parsed, it waits in the Inbox for an admin (no known job).
	OutcomeInbox Outcome = iota
	// OutcomeUnparsed: stored, it waits in the Inbox unparsed (Stored.Error says why).
	OutcomeUnparsed
	// OutcomeRun: it became run RunID of job JobID.
	OutcomeRun
	// OutcomeSameReport: a copy of a report already a run of JobID (e.g. forwarded);
	// linked to the job, no second run.
	OutcomeSameReport
	// OutcomeDuplicate: stored before (MailID); nothing was done.
	OutcomeDuplicate
	// OutcomeAccountReport: a report on many accounts (a Cloud Connect report), taken
	// over by its source: its accounts are staged there, linked ones got their runs.
	OutcomeAccountReport
)

// Outcome says what became of the message.
func (s Stored) Outcome() Outcome {
	switch {
	case s.Duplicate:
		return OutcomeDuplicate
	case s.SameReport:
		return OutcomeSameReport
	case s.AccountReport:
		return OutcomeAccountReport
	case s.RunID != 0:
		return OutcomeRun
	case !s.Parsed:
		return OutcomeUnparsed
	}
	return OutcomeInbox
}

// Tally counts what became of stored messages, for the summaries of an import, an
// upload and the CLI.
type Tally struct {
	Stored     int // new: stored now (all but the duplicates)
	Duplicates int // stored before
	Runs       int // became runs of known jobs
	Copies     int // copies of reports already runs: no second run
	Accounts   int // reports on many accounts, taken over by their source (not in the Inbox)
	Inbox      int // wait in the Inbox, parsed or not
	Unparsed   int // of those in the Inbox, the unparsed
}

// Add counts stored.
func (t *Tally) Add(stored []Stored) {
	for _, s := range stored {
		o := s.Outcome()
		if o == OutcomeDuplicate {
			t.Duplicates++
			continue
		}
		t.Stored++
		switch o {
		case OutcomeRun:
			t.Runs++
		case OutcomeSameReport:
			t.Copies++
		case OutcomeAccountReport:
			t.Accounts++
		case OutcomeUnparsed:
			t.Unparsed++
			t.Inbox++
		default:
			t.Inbox++
		}
	}
}

// Total is how many messages were counted.
func (t Tally) Total() int { return t.Stored + t.Duplicates }
