package app

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/cloudconnect"
	"github.com/backupchecks/backupchecks/app/validation"
	cloudconnectview "github.com/backupchecks/backupchecks/components/cloudconnect"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

// cloudConnectAccount loads the account of the route's :id (404 when there is none).
func (a *App) cloudConnectAccount(c *fiber.Ctx) (*cloudconnect.Account, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	acc, err := cloudconnect.Get(c.UserContext(), a.db.Bun, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, fiber.NewError(fiber.StatusNotFound, "This Cloud Connect account does not exist.")
	}
	return acc, err
}

// cloudConnectCreateForm is the Create job dialog: the customers matching what was
// typed (the first ones when nothing was).
func (a *App) cloudConnectCreateForm(c *fiber.Ctx, acc *cloudconnect.Account, jobName, typed, choice string) (cloudconnectview.CreateJobForm, error) {
	f := cloudconnectview.CreateJobForm{Account: cloudConnectAccountView(*acc), JobName: jobName, CustomerName: typed, CustomerID: choice}
	var err error
	f.Options, f.MoreCustomers, err = a.customerOptions(c, typed)
	return f, err
}

func (a *App) cloudConnectCreateJobDialog(c *fiber.Ctx) error {
	acc, err := a.cloudConnectAccount(c)
	if err != nil {
		return err
	}
	if acc.JobID != nil {
		return fiber.NewError(fiber.StatusConflict, "This account is linked to a job already.")
	}
	f, err := a.cloudConnectCreateForm(c, acc, acc.SuggestedJobName(), "", "")
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, cloudconnectview.CreateJobDialog(a.view(c), f))
}

func (a *App) cloudConnectCreateJob(c *fiber.Ctx) error {
	acc, err := a.cloudConnectAccount(c)
	if err != nil {
		return err
	}
	in := cloudconnect.NewJob{JobName: c.FormValue("job_name")}
	choice, name := c.FormValue("customer_id"), strings.TrimSpace(c.FormValue("customer_name"))
	errs := validation.Errors{}
	switch choice {
	case "new", "":
		in.NewCustomerName = name
	default:
		id, perr := strconv.ParseInt(choice, 10, 64)
		if perr != nil || id <= 0 {
			errs.Add("customer_id", "pick a customer from the list")
		}
		in.CustomerID = id
	}
	var res cloudconnect.Linked
	if len(errs) == 0 {
		res, err = cloudconnect.CreateJob(c.UserContext(), a.db.Bun, a.actor(c), acc.ID, in)
		if fe, ok := validation.As(err); ok {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		f, err := a.cloudConnectCreateForm(c, acc, in.JobName, name, choice)
		if err != nil {
			return err
		}
		f.Errors = errs
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, cloudconnectview.CreateJobDialog(a.view(c), f))
	}
	return a.cloudConnectLinked(c, "Job "+res.JobLabel+" created", res)
}

// cloudConnectLinked closes the dialog and refreshes the table with what linking did.
func (a *App) cloudConnectLinked(c *fiber.Ctx, what string, res cloudconnect.Linked) error {
	msg := what + ": "
	if res.Runs == 0 {
		msg += "no stored report of this account yet; its next report becomes a run."
	} else {
		msg += ui.Count(res.Runs, "stored report became a run.", "stored reports became runs.")
	}
	trigger(c, map[string]any{"closeModal": true})
	l, err := a.cloudConnectList(c, cloudConnectFilter(c))
	if err != nil {
		return err
	}
	retarget(c, "#cc-list", "outerHTML")
	return a.renderFragment(c, fiber.StatusOK, cloudconnectview.Table(a.view(c), l), success(msg))
}

func (a *App) cloudConnectLinkDialog(c *fiber.Ctx) error {
	acc, err := a.cloudConnectAccount(c)
	if err != nil {
		return err
	}
	f := cloudconnectview.LinkForm{Account: cloudConnectAccountView(*acc)}
	return a.renderFragment(c, fiber.StatusOK, cloudconnectview.LinkDialog(a.view(c), f))
}

func (a *App) cloudConnectLink(c *fiber.Ctx) error {
	acc, err := a.cloudConnectAccount(c)
	if err != nil {
		return err
	}
	choice := c.FormValue("job_id")
	jobID, _ := strconv.ParseInt(choice, 10, 64)
	if jobID < 0 {
		jobID = 0
	}
	res, err := cloudconnect.Link(c.UserContext(), a.db.Bun, a.actor(c), acc.ID, jobID)
	if errs, ok := validation.As(err); ok {
		search := strings.TrimSpace(c.FormValue("job_search"))
		opts, err := a.cloudConnectJobOptions(c, search)
		if err != nil {
			return err
		}
		f := cloudconnectview.LinkForm{Account: cloudConnectAccountView(*acc), Search: search, JobID: choice, Options: opts, Errors: errs}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, cloudconnectview.LinkDialog(a.view(c), f))
	}
	if err != nil {
		return err
	}
	return a.cloudConnectLinked(c, "Linked to "+res.JobLabel, res)
}

func (a *App) cloudConnectUnlink(c *fiber.Ctx) error {
	acc, err := a.cloudConnectAccount(c)
	if err != nil {
		return err
	}
	err = cloudconnect.Unlink(c.UserContext(), a.db.Bun, a.actor(c), acc.ID)
	var flash view.Flash
	switch errs, ok := validation.As(err); {
	case ok:
		flash = warning("Not unlinked: " + errs["form"] + ".")
	case err != nil:
		return err
	default:
		label := cloudConnectAccountView(*acc)
		flash = success(label.Label() + " unlinked from " + label.JobLabel + "; the job keeps its runs.")
	}
	l, err := a.cloudConnectList(c, cloudConnectFilter(c))
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, cloudconnectview.Table(a.view(c), l), flash)
}
