package inbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestConcurrentApprovalsOfOneJob: two operators approve two mails of the same new job at
// the same moment. One creates the job and processes both; the other is told so (it
// used to fail on the matching key, or deadlock).
func TestConcurrentApprovalsOfOneJob(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	reg := parserstest.Registry()
	for round := range 10 {
		job := fmt.Sprintf("Nightly %d", round)
		var msgs []mail.Message
		for i := range 2 {
			raw := parserstest.Mail(round*10+i, "Success", job)
			msgs = append(msgs, mail.Message{SourceID: fmt.Sprintf("%d-%d", round, i), Raw: raw, Size: int64(len(raw))})
		}
		stored, err := ingest.StoreBatch(ctx, d.Bun, reg, db.SourceGraph, msgs, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		res := make([]inbox.Approved, 2)
		errs := make([]error, 2)
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res[i], errs[i] = inbox.Approve(ctx, d.Bun, audit.Actor{Name: fmt.Sprintf("op%d", i)},
					inbox.Approval{MailID: stored[i].MailID, NewCustomerName: fmt.Sprintf("Customer %d-%d", round, i)})
			}()
		}
		close(start)
		wg.Wait()
		// Whichever goes first processes both mails; the other is told so, by name.
		first, second := 0, 1
		if errs[0] != nil {
			first, second = 1, 0
		}
		if errs[first] != nil || !res[first].JobCreated || res[first].Processed != 2 {
			t.Fatalf("round %d: the first approval: %+v %v", round, res[first], errs[first])
		}
		fe, ok := validation.As(errs[second])
		if !ok || !strings.Contains(fe["form"], "already a run of "+res[first].Customer+"'s job") {
			t.Fatalf("round %d: the second approval: %+v %v", round, res[second], errs[second])
		}
		var jobs int
		if err := d.Bun.NewRaw("SELECT count(*) FROM jobs WHERE job_name = ?", job).Scan(ctx, &jobs); err != nil || jobs != 1 {
			t.Fatalf("round %d: %d jobs (%v)", round, jobs, err)
		}
	}
}
