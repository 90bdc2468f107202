package app

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/validation"
	jobsview "github.com/backupchecks/backupchecks/components/jobs"
	"github.com/backupchecks/backupchecks/components/ui"
)

// matchingModel builds the job's "Mail matching" section.
func (a *App) matchingModel(c *fiber.Ctx, j *jobs.Row) (jobsview.MatchingModel, error) {
	m, err := jobs.GetMatching(c.UserContext(), a.db.Bun, j.ID)
	if err != nil {
		return jobsview.MatchingModel{}, err
	}
	out := jobsview.MatchingModel{JobID: j.ID, FromAddress: m.FromAddress, Software: j.BackupSoftware, JobName: j.JobName}
	if m.Rule != nil {
		out.Rule, out.RuleFrom, out.Pattern = true, m.Rule.FromAddress, m.Rule.SubjectPattern
	}
	return out, nil
}

func (a *App) jobMatchingView(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	j, err := jobs.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	m, err := a.matchingModel(c, j)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, jobsview.MatchingView(a.view(c), m))
}

func (a *App) jobMatchingEdit(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	m, err := jobs.GetMatching(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	if m.Rule == nil {
		// Its parser recognises the job's mails: there is no rule to edit, only to show.
		return a.jobMatchingView(c)
	}
	return a.renderFragment(c, fiber.StatusOK, jobsview.MatchingEdit(a.view(c),
		jobsview.MatchingForm{JobID: id, FromAddress: m.Rule.FromAddress, Pattern: m.Rule.SubjectPattern}))
}

func (a *App) jobMatchingSave(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	from, pattern := c.FormValue("from_address"), c.FormValue("subject_pattern")
	runs, err := jobs.SetMatchRule(c.UserContext(), a.db.Bun, a.actor(c), id, from, pattern)
	if errs, ok := validation.As(err); ok {
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, jobsview.MatchingEdit(a.view(c),
			jobsview.MatchingForm{JobID: id, FromAddress: from, Pattern: pattern, Errors: errs}))
	} else if err != nil {
		return err
	}
	j, err := jobs.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	m, err := a.matchingModel(c, j)
	if err != nil {
		return err
	}
	msg := "Mail matching rule saved."
	if runs > 0 {
		msg += fmt.Sprintf(" %s of %s.", ui.Count(runs, "waiting mail became a run", "waiting mails became runs"), j.JobName)
	}
	return a.renderFragment(c, fiber.StatusOK, jobsview.MatchingView(a.view(c), m), success(msg))
}
