package app

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/validation"
	inboxview "github.com/backupchecks/backupchecks/components/inbox"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/db"
)

func (a *App) mailApprove(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ap := inbox.Approval{MailID: id, JobName: c.FormValue("job_name"), SubjectPattern: c.FormValue("subject_pattern")}
	choice := c.FormValue("customer_id")
	name := strings.TrimSpace(c.FormValue("customer_name"))
	errs := validation.Errors{}
	switch choice {
	case "existing":
		// A job exists: Approve finds it and needs no customer.
	case "new", "":
		ap.NewCustomerName = name // Approve says so when a new job needs one and it is blank
	default:
		cid, err := strconv.ParseInt(choice, 10, 64)
		if err != nil {
			errs.Add("customer_id", "pick a customer from the list")
		}
		ap.CustomerID = cid
	}
	var res inbox.Approved
	if len(errs) == 0 {
		res, err = inbox.Approve(c.UserContext(), a.db.Bun, a.actor(c), ap)
		if fe, ok := validation.As(err); ok {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		d, err := a.mailDetail(c, id)
		if err != nil {
			return err
		}
		f, err := a.approveForm(c, d, name, choice)
		if err != nil {
			return err
		}
		f.JobName, f.SubjectPattern, f.Errors = ap.JobName, ap.SubjectPattern, errs
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, inboxview.Approve(a.view(c), d, f))
	}
	msg := fmt.Sprintf("Approved: job created for %s; %s.", res.Customer, becameRuns(res.Processed))
	if !res.JobCreated {
		msg = fmt.Sprintf("Added to the existing job; %s.", becameRuns(res.Processed))
	}
	if res.Copies > 0 {
		msg += " " + ui.Count(res.Copies, "mail was a copy of a report already there (e.g. forwarded) and became no second run.",
			"mails were copies of reports already there (e.g. forwarded) and became no second run.")
	}
	trigger(c, map[string]any{"closeModal": true})
	l, err := a.inboxList(c, db.LocationInbox, 1)
	if err != nil {
		return err
	}
	retarget(c, "#inbox-list", "outerHTML")
	return a.renderFragment(c, fiber.StatusOK, inboxview.ListFragment(a.view(c), l), success(msg))
}

// approveCustomers is how many customers the approve form lists before any is typed.
const approveCustomers = 8

// approveForm is the approve section of a mail's dialog: the customers that match what
// was typed (the first ones when nothing was), and for a mail no parser knows the job
// name and subject pattern suggested from its subject.
func (a *App) approveForm(c *fiber.Ctx, d inboxview.Detail, typed, choice string) (inboxview.ApproveForm, error) {
	f := inboxview.ApproveForm{MailID: d.ID, CustomerName: typed, CustomerID: choice}
	if !a.can(c, "POST", "/inbox/:id/approve") || d.Approvable != "" || d.ExistingJob != "" {
		return f, nil // no customer to pick
	}
	if d.NeedsJobName {
		f.JobName, f.SubjectPattern = parsers.SuggestedJobName(d.Subject), parsers.SuggestedSubjectPattern(d.Subject)
	}
	var err error
	f.Options, f.MoreCustomers, err = a.customerOptions(c, typed)
	return f, err
}

// becameRuns says how many mails an approval turned into runs.
func becameRuns(n int) string {
	if n == 1 {
		return "1 mail became a run"
	}
	return ui.Count(n, "mail", "mails") + " became runs"
}
