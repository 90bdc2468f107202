package app

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/tickets"
	ticketsview "github.com/backupchecks/backupchecks/components/tickets"
)

// runAlerts is GET /api/job-runs/{id}/alerts: a run's tickets and remarks, as an HTML
// fragment or, with Accept: application/json, as JSON.
func (a *App) runAlerts(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	alerts, err := tickets.Alerts(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
		var tk, rm []tickets.Alert
		for _, al := range alerts {
			if al.Kind == tickets.KindTicket {
				tk = append(tk, al)
			} else {
				rm = append(rm, al)
			}
		}
		return c.JSON(fiber.Map{"run_id": id, "tickets": nonNil(tk), "remarks": nonNil(rm)})
	}
	return a.renderFragment(c, fiber.StatusOK, ticketsview.Alerts(alertViews(alerts)))
}

func nonNil(a []tickets.Alert) []tickets.Alert {
	if a == nil {
		return []tickets.Alert{}
	}
	return a
}
