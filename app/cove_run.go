package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/settings"
	jobsview "github.com/backupchecks/backupchecks/components/jobs"
	runchecksview "github.com/backupchecks/backupchecks/components/runchecks"
)

// The job page and the run dialog of Cove jobs and runs: "Cove API" as the source,
// with the account's summary (and the run's data sources) instead of a mail.

// coveRunPanel is the Cove panel of the run's dialog.
func (a *App) coveRunPanel(c *fiber.Ctx, runID int64) (*runchecksview.CoveRun, error) {
	info, err := cove.GetRunInfo(c.UserContext(), a.db.Bun, runID)
	if err != nil {
		return nil, err
	}
	p := &runchecksview.CoveRun{Kind: string(info.Kind), Backfilled: info.Backfilled, AccountID: info.AccountID}
	if info.Account != nil {
		row := coveRow(*info.Account, settings.Location(state(c).settings), a.now())
		p.Account = &row
	}
	return p, nil
}

// coveJobSection is the job page's Cove section: for a job linked to an account or
// with runs from Cove; nil for any other job.
func (a *App) coveJobSection(c *fiber.Ctx, jobID int64, software string) (*jobsview.CoveSection, error) {
	acc, err := cove.JobAccount(c.UserContext(), a.db.Bun, jobID)
	if err != nil {
		return nil, err
	}
	if acc == nil && software != cove.Software {
		return nil, nil
	}
	s := &jobsview.CoveSection{}
	if acc != nil {
		row := coveRow(*acc, settings.Location(state(c).settings), a.now())
		s.Account = &row
	}
	return s, nil
}
