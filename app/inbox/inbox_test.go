package inbox_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestConcurrentApprovalsJoin: two operators approve two mails of the same new job at
// the same moment. One creates the job, the other joins it; neither sees an error.
func TestConcurrentApprovalsJoin(t *testing.T) {
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
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v / %v", round, errs[0], errs[1])
		}
		if res[0].JobID != res[1].JobID || res[0].JobCreated == res[1].JobCreated || res[0].Processed+res[1].Processed != 2 {
			t.Fatalf("round %d: one job, created once, two runs expected: %+v %+v", round, res[0], res[1])
		}
		joined := res[0]
		if joined.JobCreated {
			joined = res[1]
		}
		var owner string
		if err := d.Bun.NewRaw("SELECT c.name FROM jobs j JOIN customers c ON c.id = j.customer_id WHERE j.id = ?", joined.JobID).Scan(ctx, &owner); err != nil {
			t.Fatal(err)
		}
		if joined.Customer != owner {
			t.Fatalf("round %d: the joining approval reports customer %q, the job is %q's", round, joined.Customer, owner)
		}
	}
}
