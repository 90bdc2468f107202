package app

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/validation"
	coveview "github.com/backupchecks/backupchecks/components/cove"
)

// The accounts page's actions (Create job here, for one account or several of one
// customer; Link and Unlink in cove_link.go). Each answers with the list it was
// started from (the "list" value), the dialog closed.

// coveOptions are the processing options of the saved settings.
func (a *App) coveOptions(c *fiber.Ctx) cove.Options {
	s := state(c).settings
	return cove.OptionsFrom(s, settings.Location(s), a.now)
}

// coveAfter answers a successful action: the list it was started from, the dialog
// closed, and msg.
func (a *App) coveAfter(c *fiber.Ctx, msg string) error {
	q, _ := url.ParseQuery(c.FormValue("list"))
	p, err := a.coveList(c, coveFilter(q))
	if err != nil {
		return err
	}
	trigger(c, map[string]any{"closeModal": true})
	retarget(c, "#cove-accounts", "outerHTML")
	return a.renderFragment(c, fiber.StatusOK, coveview.Accounts(a.view(c), p), success(msg))
}

// coveAccountRows loads accounts as the page shows them.
func (a *App) coveAccountRows(c *fiber.Ctx, ids []int64) ([]coveview.Row, []cove.AccountRow, error) {
	var rows []coveview.Row
	var raw []cove.AccountRow
	loc := settings.Location(state(c).settings)
	for _, id := range ids {
		r, err := cove.GetAccount(c.UserContext(), a.db.Bun, id)
		if err != nil {
			return nil, nil, err
		}
		rows, raw = append(rows, coveRow(*r, loc, a.now())), append(raw, *r)
	}
	return rows, raw, nil
}

// coveCustomerPick is the customer field suggested for an account: its Cove customer
// (I8), the existing customer of that name picked.
func (a *App) coveCustomerPick(c *fiber.Ctx, typed, selected string) (coveview.CustomerPick, error) {
	opts, more, err := a.customerOptions(c, typed)
	if err != nil {
		return coveview.CustomerPick{}, err
	}
	p := coveview.CustomerPick{Typed: typed, Selected: selected, Options: opts, More: more}
	for _, o := range opts {
		if selected == "" && strings.EqualFold(o.Name, strings.TrimSpace(typed)) {
			p.Selected = strconv.FormatInt(o.ID, 10)
		}
	}
	return p, nil
}

func (a *App) coveCreateForm(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return a.coveCreateDialog(c, []int64{id})
}

// coveBulkForm is Create job for the accounts selected on the page.
func (a *App) coveBulkForm(c *fiber.Ctx) error {
	ids, err := int64s(c.Context().QueryArgs().PeekMulti("account_id"))
	if err != nil {
		return fiber.ErrBadRequest
	}
	if len(ids) == 0 {
		return a.renderFragment(c, fiber.StatusOK, coveview.SelectFirstModal())
	}
	return a.coveCreateDialog(c, ids)
}

func (a *App) coveCreateDialog(c *fiber.Ctx, ids []int64) error {
	rows, raw, err := a.coveAccountRows(c, ids)
	if err != nil {
		return err
	}
	f := coveview.CreateForm{Accounts: rows, Types: cove.BackupTypes, List: c.Query("list"), Errors: map[string]string{}}
	if len(raw) == 1 {
		f.JobName, f.BackupType = raw[0].SuggestedJobName(), raw[0].BackupType
	}
	if f.Customer, err = a.coveCustomerPick(c, raw[0].Customer, ""); err != nil {
		return err
	}
	if msg := cove.CheckBulk(raw); msg != "" {
		f.Errors["form"] = msg
	}
	return a.renderFragment(c, fiber.StatusOK, coveview.CreateModal(a.view(c), f))
}

func (a *App) coveCreate(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return a.coveCreateJobs(c, []int64{id}, true)
}

func (a *App) coveBulkCreate(c *fiber.Ctx) error {
	ids, err := int64s(c.Request().PostArgs().PeekMulti("account_id"))
	if err != nil {
		return fiber.ErrBadRequest
	}
	return a.coveCreateJobs(c, ids, false)
}

// coveCreateJobs creates the accounts' jobs; typed: the form had a job name and type.
func (a *App) coveCreateJobs(c *fiber.Ctx, ids []int64, typed bool) error {
	in := cove.NewJob{AccountIDs: ids, JobName: c.FormValue("job_name"), BackupType: c.FormValue("backup_type"), Typed: typed}
	errs := validation.Errors{}
	var res cove.Created
	var err error
	choice, name := c.FormValue("customer_id"), strings.TrimSpace(c.FormValue("customer_name"))
	switch choice {
	case "new", "":
		in.NewCustomerName = name
	default:
		if in.CustomerID, err = strconv.ParseInt(choice, 10, 64); err != nil {
			errs.Add("customer_id", "pick a customer from the list")
		}
	}
	if len(errs) == 0 {
		res, err = cove.CreateJobs(c.UserContext(), a.db.Bun, a.actor(c), in, a.coveOptions(c))
		errs, _ = validation.As(err)
	}
	if len(errs) > 0 {
		rows, _, lerr := a.coveAccountRows(c, ids)
		if lerr != nil || len(rows) == 0 {
			return fiber.NewError(fiber.StatusUnprocessableEntity, errs.Error())
		}
		f := coveview.CreateForm{Accounts: rows, JobName: in.JobName, BackupType: in.BackupType, Types: cove.BackupTypes,
			List: c.FormValue("list"), Errors: errs}
		if f.Customer, err = a.coveCustomerPick(c, name, choice); err != nil {
			return err
		}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, coveview.CreateFormAgain(a.view(c), f))
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%d jobs created for %s", len(res.JobIDs), res.Customer)
	if len(res.JobIDs) == 1 {
		msg = "Job created for " + res.Customer
	}
	return a.coveAfter(c, msg+"; "+processedText(res.Processed)+".")
}

// processedText says what linking made of the stored statistics.
func processedText(p cove.Processed) string {
	s := fmt.Sprintf("%d new run", p.Runs)
	if p.Runs != 1 {
		s += "s"
	}
	if p.Backfilled > 0 {
		s += fmt.Sprintf(" and %d days of history from the colour bar", p.Backfilled)
	}
	if p.Offline > 0 {
		s += fmt.Sprintf(", %d offline workstation warning", p.Offline)
	}
	return s
}

// int64s parses ids.
func int64s(vals [][]byte) ([]int64, error) {
	out := make([]int64, 0, len(vals))
	for _, v := range vals {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("not an id: %q", v)
		}
		out = append(out, n)
	}
	return out, nil
}
