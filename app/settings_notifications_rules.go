package app

import (
	"strconv"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/notify"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

// Settings → Notifications: the rules' form (issue 20).

// ruleForm fills the form's choices around the values.
func (a *App) ruleForm(c *fiber.Ctx, f settingsview.RuleForm) (settingsview.RuleForm, error) {
	ctx := c.UserContext()
	chs, err := notify.Channels(ctx, a.db.Bun)
	if err != nil {
		return f, err
	}
	for _, ch := range chs {
		f.Channels = append(f.Channels, settingsview.Option{ID: ch.ID, Name: ch.Name + " (" + notify.KindLabel(ch.Kind) + ")"})
	}
	custs, err := notify.CustomerOptions(ctx, a.db.Bun)
	if err != nil {
		return f, err
	}
	for _, o := range custs {
		f.Customers = append(f.Customers, settingsview.Option{ID: o.ID, Name: o.Name})
	}
	jobs, err := notify.JobOptions(ctx, a.db.Bun)
	if err != nil {
		return f, err
	}
	for _, o := range jobs {
		f.Jobs = append(f.Jobs, settingsview.Option{ID: o.ID, Name: o.Name})
	}
	f.AllStatuses = notify.Statuses
	for _, d := range notify.Weekdays {
		f.Weekdays = append(f.Weekdays, settingsview.Option{ID: int64(d.N), Name: d.Name})
	}
	return f, nil
}

func ruleFormOf(r *db.NotifyRule) settingsview.RuleForm {
	f := settingsview.RuleForm{ID: r.ID, Name: r.Name, Statuses: r.Statuses, CustomerIDs: r.CustomerIDs, JobIDs: r.JobIDs,
		GroupMinutes: strconv.Itoa(r.GroupMinutes), Enabled: r.Enabled}
	if r.ChannelID != nil {
		f.ChannelID = *r.ChannelID
	}
	if r.QuietFrom != nil && r.QuietTo != nil {
		f.QuietFrom, f.QuietTo = hhmm(*r.QuietFrom), hhmm(*r.QuietTo)
	}
	for _, d := range r.WorkingDays {
		f.WorkingDays = append(f.WorkingDays, int(d))
	}
	return f
}

func (a *App) settingsNotifyRuleForm(c *fiber.Ctx) error {
	id, err := formID(c, "id")
	if err != nil {
		return err
	}
	f := settingsview.RuleForm{Statuses: []string{"Failed", "Missed"}, GroupMinutes: "15", WorkingDays: []int{1, 2, 3, 4, 5, 6, 7}, Enabled: true}
	if id != 0 {
		r, err := notify.GetRule(c.UserContext(), a.db.Bun, id)
		if err != nil {
			return err
		}
		f = ruleFormOf(r)
	}
	if f, err = a.ruleForm(c, f); err != nil {
		return err
	}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return settingsview.RuleFormPage(v, f) })
}

// formInts reads a repeated numeric field; junk is left out (the choices are ids the
// form offered, and the capability checks what matters).
func formInts(c *fiber.Ctx, field string) []int64 {
	var out []int64
	for _, v := range c.Request().PostArgs().PeekMulti(field) {
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func formStrings(c *fiber.Ctx, field string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(field) {
		out = append(out, string(v))
	}
	return out
}

func (a *App) settingsNotifyRuleSave(c *fiber.Ctx) error {
	id, err := formID(c, "id")
	if err != nil {
		return err
	}
	channelID, _ := strconv.ParseInt(c.FormValue("channel_id"), 10, 64)
	in := notify.RuleInput{Name: c.FormValue("name"), ChannelID: channelID, Statuses: formStrings(c, "statuses"),
		CustomerIDs: formInts(c, "customer_ids"), JobIDs: formInts(c, "job_ids"), GroupMinutes: c.FormValue("group_minutes"),
		QuietFrom: c.FormValue("quiet_from"), QuietTo: c.FormValue("quiet_to"), Enabled: c.FormValue("enabled") == "on"}
	for _, d := range formInts(c, "working_days") {
		in.WorkingDays = append(in.WorkingDays, int(d))
	}
	_, err = notify.SaveRule(c.UserContext(), a.db.Bun, a.actor(c), id, in)
	if verrs, ok := validation.As(err); ok {
		f, ferr := a.ruleForm(c, settingsview.RuleForm{ID: id, Name: in.Name, ChannelID: in.ChannelID, Statuses: in.Statuses,
			CustomerIDs: in.CustomerIDs, JobIDs: in.JobIDs, GroupMinutes: in.GroupMinutes, QuietFrom: in.QuietFrom, QuietTo: in.QuietTo,
			WorkingDays: in.WorkingDays, Enabled: in.Enabled, Errors: verrs})
		if ferr != nil {
			return ferr
		}
		return a.render(c, fiber.StatusUnprocessableEntity, func(v view.Ctx) templ.Component { return settingsview.RuleFormPage(v, f) }, nil)
	}
	if err != nil {
		return err
	}
	return a.redirectWithFlash(c, "/settings/notifications", success("Rule "+in.Name+" saved."))
}

func (a *App) settingsNotifyRuleDelete(c *fiber.Ctx) error {
	id, err := formID(c, "id")
	if err != nil || id == 0 {
		return fiber.NewError(fiber.StatusBadRequest, "Choose a rule to delete.")
	}
	if err := notify.DeleteRule(c.UserContext(), a.db.Bun, a.actor(c), id); err != nil {
		return err
	}
	return a.notificationsList(c, success("Rule deleted."))
}
