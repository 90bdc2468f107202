package app

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/validation"
	coveview "github.com/backupchecks/backupchecks/components/cove"
)

// Link to existing job (with a job type-ahead) and Unlink, on the accounts page.

func (a *App) coveLinkForm(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	rows, raw, err := a.coveAccountRows(c, []int64{id})
	if err != nil {
		return err
	}
	f := coveview.LinkForm{Account: rows[0], List: c.Query("list")}
	if f.Jobs, err = a.coveJobChoices(c, "", raw[0].Customer); err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, coveview.LinkModal(a.view(c), f))
}

func (a *App) coveJobChoices(c *fiber.Ctx, q, customer string) ([]coveview.JobOption, error) {
	found, err := cove.LinkableJobs(c.UserContext(), a.db.Bun, q, customer, 10)
	if err != nil {
		return nil, err
	}
	out := make([]coveview.JobOption, len(found))
	for i, j := range found {
		out[i] = coveview.JobOption{ID: j.ID, Label: j.Label}
	}
	return out, nil
}

// coveJobsTypeahead is the job type-ahead of Link to existing job.
func (a *App) coveJobsTypeahead(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("job_search"))
	jobs, err := a.coveJobChoices(c, q, "")
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, coveview.JobOptions(jobs, "", q))
}

func (a *App) coveLink(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	jobID, perr := strconv.ParseInt(c.FormValue("job_id"), 10, 64)
	var res cove.Processed
	errs := validation.Errors{}
	if perr != nil || jobID <= 0 {
		errs.Add("job_id", "pick the job to link from the list")
	} else {
		res, err = cove.Link(c.UserContext(), a.db.Bun, a.actor(c), id, jobID, a.coveOptions(c))
		if e, ok := validation.As(err); ok {
			errs = e
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		rows, _, lerr := a.coveAccountRows(c, []int64{id})
		if lerr != nil {
			return lerr
		}
		search := strings.TrimSpace(c.FormValue("job_search"))
		f := coveview.LinkForm{Account: rows[0], Search: search, List: c.FormValue("list"), Errors: errs}
		if f.Jobs, err = a.coveJobChoices(c, search, rows[0].Customer); err != nil {
			return err
		}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, coveview.LinkFormAgain(a.view(c), f))
	}
	return a.coveAfter(c, "Account linked; "+processedText(res)+".")
}

func (a *App) coveUnlink(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	jobID, err := cove.Unlink(c.UserContext(), a.db.Bun, a.actor(c), id)
	if err != nil {
		return err
	}
	if jobID == 0 {
		return a.coveAfter(c, "The account was not linked.")
	}
	return a.coveAfter(c, "Account unlinked; the job keeps its runs.")
}
