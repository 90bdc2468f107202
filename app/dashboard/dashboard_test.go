package dashboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/dashboard"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestRunsToReviewAgreesWithRunChecks: the dashboard's "Runs to review" and its
// customers list count exactly what the Run Checks queue lists, on data with every
// kind of job the queue leaves out: 3CX's informational jobs, archived jobs and the
// jobs of an inactive customer.
func TestRunsToReviewAgreesWithRunChecks(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	fx := dbtest.Fixture(t, d)
	var jobIDs []int64
	job := func(customer *dbtest.CustomerRef, name, software, typ string, archived bool, statuses ...string) {
		var archivedAt *time.Time
		if archived {
			archivedAt = &now
		}
		j := customer.Job(dbtest.Job{Name: name, Software: software, Type: typ, ArchivedAt: archivedAt, Informational: software == "3CX"})
		for i, s := range statuses {
			j.Run(dbtest.Run{Status: s, At: now.Add(-time.Duration(i+1) * time.Hour)})
		}
		jobIDs = append(jobIDs, j.ID)
	}
	acme, globex, gone := fx.Customer("Acme"), fx.Customer("Globex"), fx.AddCustomer(dbtest.Customer{Name: "Gone", Inactive: true})
	job(acme, "Nightly", "Veeam", "Backup Job", false, "Failed", "Success")        // 2 to review
	job(acme, "Weekly", "Veeam", "Backup Copy Job", false, "Warning")              // 1
	job(globex, "Hyper", "Synology", "Hyper Backup", false, "Missed")              // 1
	job(globex, "PBX", "3CX", "Update", false, "Warning", "Info")                  // informational: left out
	job(globex, "PBX cert", "3CX", "SSL Certificate", false, "Failed")             // informational: left out
	job(acme, "Old", "Veeam", "Backup Job", true, "Failed", "Failed")              // archived: left out
	job(gone, "Lost", "Veeam", "Backup Job", false, "Failed", "Warning", "Failed") // inactive customer
	if err := review.RecountJobSummaries(ctx, d.Bun, jobIDs); err != nil {
		t.Fatal(err)
	}

	// What Run Checks lists, over all its pages.
	queueRuns, queueJobs := 0, 0
	for page := 1; ; page++ {
		groups, total, err := review.Queue(ctx, d.Bun, review.QueueFilter{Page: page, PerPage: 2})
		if err != nil {
			t.Fatal(err)
		}
		queueJobs = total
		if len(groups) == 0 {
			break
		}
		for _, g := range groups {
			queueRuns += g.Unreviewed
		}
	}
	if queueRuns != 4 || queueJobs != 3 {
		t.Fatalf("Run Checks lists %d runs of %d jobs, want 4 of 3", queueRuns, queueJobs)
	}

	f, err := dashboard.Load(ctx, d.Bun)
	if err != nil {
		t.Fatal(err)
	}
	if f.Unreviewed != queueRuns || f.ReviewJobs != queueJobs {
		t.Errorf("dashboard: %d runs to review in %d jobs; Run Checks: %d in %d", f.Unreviewed, f.ReviewJobs, queueRuns, queueJobs)
	}
	worst, err := dashboard.WorstCustomers(ctx, d.Bun, 10)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, w := range worst {
		sum += w.Unreviewed
		if w.CustomerID == gone.ID {
			t.Errorf("inactive customer listed: %+v", w)
		}
	}
	if sum != queueRuns || len(worst) != 2 || worst[0].Name != "Acme" || worst[0].Worst != "Failed" {
		t.Errorf("customers with runs to review: %+v (sum %d), want Acme (Failed) and Globex summing to %d", worst, sum, queueRuns)
	}
}
