package app

import (
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/overrides"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/validation"
	overridesview "github.com/backupchecks/backupchecks/components/overrides"
	"github.com/backupchecks/backupchecks/components/view"
)

func (a *App) overrideRows(c *fiber.Ctx) ([]overridesview.Row, error) {
	list, err := overrides.Search(c.UserContext(), a.db.Bun, c.Query("q"))
	if err != nil {
		return nil, err
	}
	rows := make([]overridesview.Row, len(list))
	for i, o := range list {
		rows[i] = overridesview.Row{ID: o.ID, Level: o.Level, Software: o.Software, Type: o.Type, ObjectName: o.ObjectName,
			MatchStatus: o.MatchStatus, MatchText: o.MatchText, MatchMode: o.MatchMode, ValidFrom: o.ValidFrom,
			ValidUntil: o.ValidUntil, TreatAsSuccess: o.TreatAsSuccess, Comment: o.Comment, Runs: o.Runs,
			JobLabel: o.CustomerName + " / " + o.JobName}
		if o.JobID != nil {
			rows[i].JobID = *o.JobID
		}
	}
	return rows, nil
}

func (a *App) overridesPage(c *fiber.Ctx) error {
	rows, err := a.overrideRows(c)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return overridesview.Page(v, rows, c.Query("q")) },
		overridesview.Table(a.view(c), rows))
}

func (a *App) overrideNew(c *fiber.Ctx) error {
	f := overridesview.Form{Level: "global", MatchMode: "contains", TreatAsSuccess: true}
	// From a run ("Mark as Success" → future runs): narrow by default, for failures like
	// this one on this job (or object), for a limited time.
	if runID, err := strconv.ParseInt(c.Query("run_id"), 10, 64); err == nil && runID > 0 {
		sg, err := overrides.SuggestForRun(c.UserContext(), a.db.Bun, runID, settings.Location(state(c).settings), a.now())
		if err != nil {
			return err
		}
		f = formFromInput(0, sg.Input, sg.JobLabel, nil)
		f.RunID = runID
	}
	return a.renderFragment(c, fiber.StatusOK, overridesview.FormModal(a.view(c), f))
}

func (a *App) overrideEdit(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o, err := overrides.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	loc := settings.Location(state(c).settings)
	f := overridesview.Form{ID: o.ID, Level: o.Level, Software: o.Software, Type: o.Type, ObjectName: o.ObjectName,
		MatchStatus: o.MatchStatus, MatchText: o.MatchText, MatchMode: o.MatchMode, TreatAsSuccess: o.TreatAsSuccess, Comment: o.Comment}
	if o.JobID != nil {
		f.JobID, f.JobLabel = strconv.FormatInt(*o.JobID, 10), o.CustomerName+" / "+o.JobName
	}
	if o.ValidFrom != nil {
		f.ValidFrom = o.ValidFrom.In(loc).Format("2006-01-02")
	}
	if o.ValidUntil != nil { // stored exclusive, shown inclusive
		f.ValidUntil = o.ValidUntil.In(loc).AddDate(0, 0, -1).Format("2006-01-02")
	}
	return a.renderFragment(c, fiber.StatusOK, overridesview.FormModal(a.view(c), f))
}

func overrideInput(c *fiber.Ctx) overrides.Input {
	return overrides.Input{Level: c.FormValue("level"), Software: c.FormValue("software"), Type: c.FormValue("type"),
		JobID: c.FormValue("job_id"), ObjectName: c.FormValue("object_name"), MatchStatus: c.FormValue("match_status"),
		MatchText: c.FormValue("match_text"), MatchMode: c.FormValue("match_mode"), ValidFrom: c.FormValue("valid_from"),
		ValidUntil: c.FormValue("valid_until"), TreatAsSuccess: c.FormValue("treat_as_success") == "on", Comment: c.FormValue("comment")}
}

func (a *App) overrideSave(c *fiber.Ctx) error {
	in := overrideInput(c)
	loc := settings.Location(state(c).settings)
	var id int64
	var err error
	if c.Params("id") != "" { // PUT /overrides/:id edits; POST /overrides creates
		if id, err = pathID(c); err != nil {
			return err
		}
	}
	if id == 0 {
		_, err = overrides.Create(c.UserContext(), a.db.Bun, a.actor(c), in, loc, a.now())
	} else {
		err = overrides.Update(c.UserContext(), a.db.Bun, a.actor(c), id, in, loc, a.now())
	}
	runID, _ := strconv.ParseInt(c.FormValue("run_id"), 10, 64) // saved from a run's dialog
	if errs, ok := validation.As(err); ok {
		f := formFromInput(id, in, c.FormValue("job_search"), errs)
		f.RunID = runID
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, overridesview.FormModal(a.view(c), f))
	}
	if err != nil {
		return err
	}
	const saved = "Override saved; runs not yet reviewed were evaluated again."
	if runID > 0 {
		// Back to the run it was raised from, which shows the override's effect; the
		// queue behind the dialog refreshes (app.js, runsChanged).
		trigger(c, map[string]any{"runsChanged": true})
		return a.renderRunModal(c, runID, false, success(saved))
	}
	return a.overridesRefresh(c, saved)
}

// formFromInput is the override form showing in (as suggested or as submitted).
func formFromInput(id int64, in overrides.Input, jobLabel string, errs map[string]string) overridesview.Form {
	return overridesview.Form{ID: id, Level: in.Level, Software: in.Software, Type: in.Type, JobID: in.JobID,
		JobLabel: jobLabel, ObjectName: in.ObjectName, MatchStatus: in.MatchStatus, MatchText: in.MatchText,
		MatchMode: in.MatchMode, ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil, TreatAsSuccess: in.TreatAsSuccess,
		Comment: in.Comment, Errors: errs}
}

func (a *App) overrideDelete(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := overrides.Delete(c.UserContext(), a.db.Bun, a.actor(c), id, a.now()); err != nil {
		return err
	}
	return a.overridesRefresh(c, "Override deleted.")
}

// overridesRefresh closes the dialog and re-renders the table.
func (a *App) overridesRefresh(c *fiber.Ctx, msg string) error {
	rows, err := a.overrideRows(c)
	if err != nil {
		return err
	}
	if c.Get("HX-Target") == "modal-dialog" {
		trigger(c, map[string]any{"closeModal": true})
	}
	retarget(c, "#overrides-table", "outerHTML")
	return a.renderFragment(c, fiber.StatusOK, overridesview.Table(a.view(c), rows), success(msg))
}

// overrideJobs is the job type-ahead of the form.
func (a *App) overrideJobs(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("job_search"))
	var found []jobs.Choice
	if q != "" {
		var err error
		if found, err = jobs.Search(c.UserContext(), a.db.Bun, q, 10); err != nil {
			return err
		}
	}
	opts := make([]overridesview.JobOption, len(found))
	for i, f := range found {
		opts[i] = overridesview.JobOption{ID: f.ID, Label: f.Label}
	}
	return a.renderFragment(c, fiber.StatusOK, overridesview.JobOptions(opts))
}
