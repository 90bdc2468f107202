package app

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/notify"
	"github.com/backupchecks/backupchecks/app/outbound"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

// Settings → Notifications (issue 20): channels, rules, Send test and the delivery
// history. Forms are pages of their own (plain POST, 303 back to the list); the list's
// buttons (Send test, Delete) are htmx and answer the list.

func (a *App) notificationsModel(c *fiber.Ctx) (settingsview.Notifications, error) {
	ctx := c.UserContext()
	var m settingsview.Notifications
	mc, err := outbound.LoadConfig(ctx, a.db.Bun, nil)
	if err != nil {
		return m, err
	}
	switch mc.Channel {
	case outbound.ChannelGraph:
		m.MailChannel = "through Microsoft Graph from the mailbox of Settings → Imports (" + state(c).settings.GraphMailbox + ")"
	case outbound.ChannelSMTP:
		m.MailChannel = "through the SMTP server " + mc.SMTPHost + " (Settings → Reporting)"
	default:
		m.MailChannel = "nowhere yet: choose Graph or SMTP under Settings → Reporting"
	}
	loc := settings.Location(state(c).settings)
	chs, err := notify.Channels(ctx, a.db.Bun)
	if err != nil {
		return m, err
	}
	for _, ch := range chs {
		row := settingsview.NotifyChannel{ID: ch.ID, Name: ch.Name, Kind: notify.KindLabel(ch.Kind), Enabled: ch.Enabled,
			Failing: ch.Failing(), LastError: ch.LastError, Rules: ch.Rules, Target: strings.Join(ch.Recipients, ", ")}
		if ch.Kind != notify.ChannelEmail {
			row.Target = "Webhook URL (hidden)"
		}
		if ch.DigestTime != nil {
			row.DigestTime = hhmm(*ch.DigestTime)
		}
		m.Channels = append(m.Channels, row)
	}
	rules, err := notify.Rules(ctx, a.db.Bun)
	if err != nil {
		return m, err
	}
	for _, r := range rules {
		row := settingsview.NotifyRule{ID: r.ID, Name: r.Name, Channel: r.ChannelName, Statuses: r.Statuses, Customers: r.Customers,
			Jobs: r.Jobs, GroupMinutes: r.GroupMinutes, Quiet: "none", Days: days(r.WorkingDays), Enabled: r.Enabled}
		if r.QuietFrom != nil && r.QuietTo != nil {
			row.Quiet = hhmm(*r.QuietFrom) + "–" + hhmm(*r.QuietTo)
		}
		m.Rules = append(m.Rules, row)
	}
	page, _ := strconv.Atoi(c.Query("page"))
	p, err := notify.Deliveries(ctx, a.db.Bun, page)
	if err != nil {
		return m, err
	}
	for _, d := range p.Rows {
		m.Deliveries = append(m.Deliveries, settingsview.NotifyDelivery{At: d.CreatedAt.In(loc).Format("2006-01-02 15:04"),
			Kind: d.Kind, Target: d.Target, Subject: d.Subject, Status: d.Status, Attempts: d.Attempts, Alerts: d.Alerts, Error: d.LastError})
	}
	m.Pager = settingsview.NotificationsPager(p.Page, notify.DeliveriesPage, p.Total)
	return m, nil
}

func hhmm(t string) string {
	if len(t) >= 5 {
		return t[:5]
	}
	return t
}

func days(ds []int16) string {
	if len(ds) == 7 {
		return "Every day"
	}
	var out []string
	for _, w := range notify.Weekdays {
		for _, d := range ds {
			if int(d) == w.N {
				out = append(out, w.Name)
			}
		}
	}
	return strings.Join(out, ", ")
}

func (a *App) settingsNotificationsPage(c *fiber.Ctx) error {
	m, err := a.notificationsModel(c)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return settingsview.NotificationsPage(v, m) },
		settingsview.NotificationsContent(a.view(c), m))
}

// notificationsList answers an htmx button of the list with the list and a flash.
func (a *App) notificationsList(c *fiber.Ctx, flash view.Flash) error {
	m, err := a.notificationsModel(c)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.NotificationsContent(a.view(c), m), flash)
}

// formID reads the id a form or button posts (0: a new one).
func formID(c *fiber.Ctx, field string) (int64, error) {
	s := strings.TrimSpace(c.FormValue(field, c.Query(field)))
	if s == "" || s == "0" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, fiber.NewError(fiber.StatusBadRequest, "The "+field+" is no valid id.")
	}
	return id, nil
}

func (a *App) settingsNotifyChannelForm(c *fiber.Ctx) error {
	id, err := formID(c, "id")
	if err != nil {
		return err
	}
	f := settingsview.ChannelForm{Kind: c.Query("kind"), Enabled: true}
	if id != 0 {
		ch, err := notify.GetChannel(c.UserContext(), a.db.Bun, id)
		if err != nil {
			return err
		}
		f = settingsview.ChannelForm{ID: ch.ID, Kind: ch.Kind, Name: ch.Name, Recipients: strings.Join(ch.Recipients, "\n"),
			Enabled: ch.Enabled, HasURL: ch.URL != nil, HasSecret: ch.Secret != nil}
		if ch.DigestTime != nil {
			f.DigestTime = hhmm(*ch.DigestTime)
		}
	} else if !validKind(f.Kind) {
		return fiber.NewError(fiber.StatusBadRequest, "Choose e-mail, Teams, Slack or webhook.")
	}
	f.KindLabel = notify.KindLabel(f.Kind)
	return a.renderPage(c, func(v view.Ctx) templ.Component { return settingsview.ChannelFormPage(v, f) })
}

func validKind(k string) bool {
	for _, x := range notify.ChannelKinds {
		if x == k {
			return true
		}
	}
	return false
}

func (a *App) settingsNotifyChannelSave(c *fiber.Ctx) error {
	id, err := formID(c, "id")
	if err != nil {
		return err
	}
	in := notify.ChannelInput{Name: c.FormValue("name"), Kind: c.FormValue("kind"), Recipients: c.FormValue("recipients"),
		URL: c.FormValue("url"), Secret: c.FormValue("secret"), DigestTime: c.FormValue("digest_time"), Enabled: c.FormValue("enabled") == "on"}
	_, err = notify.SaveChannel(c.UserContext(), a.db.Bun, a.keys, a.actor(c), id, in)
	if verrs, ok := validation.As(err); ok {
		f := settingsview.ChannelForm{ID: id, Kind: in.Kind, Name: in.Name, Recipients: in.Recipients, DigestTime: in.DigestTime,
			Enabled: in.Enabled, Errors: verrs}
		if id != 0 {
			if ch, err := notify.GetChannel(c.UserContext(), a.db.Bun, id); err == nil {
				f.Kind, f.HasURL, f.HasSecret = ch.Kind, ch.URL != nil, ch.Secret != nil
			}
		}
		f.KindLabel = notify.KindLabel(f.Kind)
		return a.render(c, fiber.StatusUnprocessableEntity, func(v view.Ctx) templ.Component { return settingsview.ChannelFormPage(v, f) }, nil)
	}
	if err != nil {
		return err
	}
	return a.redirectWithFlash(c, "/settings/notifications", success(fmt.Sprintf("Channel %s saved.", strings.TrimSpace(in.Name))))
}

func (a *App) settingsNotifyChannelTest(c *fiber.Ctx) error {
	id, err := formID(c, "id")
	if err != nil || id == 0 {
		return fiber.NewError(fiber.StatusBadRequest, "Choose a channel to test.")
	}
	err = notify.SendTest(c.UserContext(), a.db.Bun, a.keys, notify.Sender{}, a.actor(c), id, a.now(), a.cfg.BaseURL.String())
	if err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return err
		}
		return a.notificationsList(c, warning("The test failed: "+err.Error()))
	}
	return a.notificationsList(c, success("Test message sent."))
}

func (a *App) settingsNotifyChannelDelete(c *fiber.Ctx) error {
	id, err := formID(c, "id")
	if err != nil || id == 0 {
		return fiber.NewError(fiber.StatusBadRequest, "Choose a channel to delete.")
	}
	if err := notify.DeleteChannel(c.UserContext(), a.db.Bun, a.actor(c), id); err != nil {
		return err
	}
	return a.notificationsList(c, success("Channel deleted, with its rules."))
}
