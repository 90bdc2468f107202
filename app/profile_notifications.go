package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/notify"
	"github.com/backupchecks/backupchecks/app/validation"
	profileview "github.com/backupchecks/backupchecks/components/profile"
)

// The profile page's notifications (issue 20): each user subscribes to alerts for the
// customers they look after and to the daily digest.

func (a *App) subscriptionModel(c *fiber.Ctx) (profileview.Subscription, error) {
	u := currentUser(c)
	s, err := notify.GetSubscription(c.UserContext(), a.db.Bun, u.ID)
	if err != nil {
		return profileview.Subscription{}, err
	}
	return a.subscriptionView(c, s, nil)
}

func (a *App) subscriptionView(c *fiber.Ctx, s notify.Subscription, errs validation.Errors) (profileview.Subscription, error) {
	m := profileview.Subscription{Email: currentUser(c).Email, Alerts: s.Alerts, Statuses: s.Statuses, AllStatuses: notify.Statuses,
		CustomerIDs: s.CustomerIDs, Digest: s.Digest, DigestTime: s.DigestTime, Errors: errs}
	custs, err := notify.CustomerOptions(c.UserContext(), a.db.Bun)
	if err != nil {
		return m, err
	}
	for _, o := range custs {
		m.Customers = append(m.Customers, profileview.Customer{ID: o.ID, Name: o.Name})
	}
	return m, nil
}

func (a *App) profileNotificationsSave(c *fiber.Ctx) error {
	in := notify.Subscription{Alerts: c.FormValue("alerts") == "on", Statuses: formStrings(c, "statuses"),
		CustomerIDs: formInts(c, "customer_ids"), Digest: c.FormValue("digest") == "on", DigestTime: c.FormValue("digest_time")}
	err := notify.SaveSubscription(c.UserContext(), a.db.Bun, a.actor(c), currentUser(c).ID, in)
	verrs, invalid := validation.As(err)
	if err != nil && !invalid {
		return err
	}
	m, merr := a.subscriptionView(c, in, verrs)
	if merr != nil {
		return merr
	}
	if invalid {
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, profileview.SubscriptionForm(a.view(c), m))
	}
	return a.renderFragment(c, fiber.StatusOK, profileview.SubscriptionForm(a.view(c), m), success("Notifications saved."))
}
