package soak_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/cove/covetest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// coveAccounts is the soak's Cove fleet: three pages of the import's 250.
const coveAccounts = 600

// faultyCove: Cove answers a 500, garbage, a slow empty answer and a 503 in a row; the
// client retries them with backoff and the import then stores every account once. Two
// imports are started at once each time (the workers take one each): one imports,
// the other finds it running or imports nothing new, so a linked account's session is
// one run.
func (s *soak) faultyCove(t *testing.T) {
	ctx := context.Background()
	fake := covetest.New(t)
	fake.SlowFor = 2 * time.Second
	last := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	fleet := covetest.Fleet(coveAccounts, last)
	fake.SetAccounts(fleet)
	linked := fleet[0].ID
	// The automatic import stays off: the periodic ticks must not take the faults.
	if _, err := cove.UpdateSettings(ctx, s.d.Bun, s.keys(), audit.Actor{Name: "soak"}, cove.Input{
		Enabled: true, APIURL: fake.URL, Username: covetest.Username, Password: covetest.Password,
		IntervalMinutes: "60", WarningDays: "3", FailedDays: "7"}); err != nil {
		t.Fatal(err)
	}
	job := dbtest.Fixture(t, s.d).Customer("Customer 1").Job(dbtest.Job{Name: "SRV-00000", Software: "Cove Data Protection",
		Type: "Server", CoveAccountID: linked})

	// Four faults in a row: the client's default four retries carry its login through.
	fake.Inject(covetest.FaultHTTP500, covetest.FaultGarbage, covetest.FaultSlow, covetest.FaultHTTP503)
	start := time.Now()
	imported, other := s.coveImportsAtOnce(t, fmt.Sprintf("%d accounts (%d new): 1 run created", coveAccounts, coveAccounts))
	calls := fake.Calls("Login") + fake.Calls("EnumerateAccountStatistics")
	if pages := (coveAccounts + 249) / 250; calls < 4+1+pages {
		t.Errorf("%d calls to Cove: the four faults were not all answered (want at least a login and %d pages after them)", calls, pages)
	}
	if n := s.count(t, `SELECT count(*) FROM cove_accounts`); n != coveAccounts {
		t.Errorf("%d Cove accounts stored, want %d", n, coveAccounts)
	}
	s.checkCoveRuns(t, job.ID, 1)
	s.figure("cove 500/garbage/slow/503: retried; %d accounts imported once in %.1f s (%d calls to Cove for %d pages)",
		coveAccounts, time.Since(start).Seconds(), calls, (coveAccounts+249)/250)
	s.figure("cove two imports at once: %q / %q", imported, other)

	// A new session of the linked account: one more run, however many imports.
	fake.Update(linked, covetest.Session("5", last.Add(time.Hour), "D01", "D10"))
	imported, other = s.coveImportsAtOnce(t, fmt.Sprintf("%d accounts (0 new): 1 run created", coveAccounts))
	runs := s.checkCoveRuns(t, job.ID, 2)
	s.figure("cove new session, two imports at once: %q / %q; the linked job has %d runs of sessions", imported, other, runs)
}

// coveImportsAtOnce starts two Cove imports together and returns their messages: the
// one whose result has want first.
func (s *soak) coveImportsAtOnce(t *testing.T, want string) (imported, other string) {
	t.Helper()
	var ids []int64
	for range 2 {
		id, err := s.enqueue.StartCoveImport(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var done []*db.BackgroundTask
	for _, id := range ids {
		done = append(done, s.waitTask(t, id, 3*time.Minute))
	}
	for i, task := range done {
		if task.Status == "done" && strings.Contains(task.Message, want) {
			imported, other = task.Message, done[1-i].Status+": "+done[1-i].Message
			break
		}
	}
	if imported == "" {
		t.Fatalf("no Cove import says %q: %s %q; %s %q", want, done[0].Status, done[0].Message, done[1].Status, done[1].Message)
	}
	// The other one either found the import running, or ran after it and found
	// nothing new; never a failure of its own.
	if !strings.Contains(other, "already running") && !strings.Contains(other, fmt.Sprintf("done: Import finished: %d accounts (0 new): 0 runs created", coveAccounts)) {
		t.Errorf("the second Cove import: %s", other)
	}
	return imported, other
}

// checkCoveRuns: the linked job has want runs of sessions (colour-bar backfills aside).
func (s *soak) checkCoveRuns(t *testing.T, jobID int64, want int) int {
	t.Helper()
	n := s.count(t, `SELECT count(*) FROM job_runs WHERE job_id = ? AND source_type = 'cove_api' AND NOT backfilled`, jobID)
	if n != want {
		t.Errorf("the linked Cove job has %d runs of sessions, want %d", n, want)
	}
	return n
}
