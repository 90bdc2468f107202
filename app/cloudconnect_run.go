package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/cloudconnect"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/review"
	cloudconnectview "github.com/backupchecks/backupchecks/components/cloudconnect"
	runchecksview "github.com/backupchecks/backupchecks/components/runchecks"
	"github.com/backupchecks/backupchecks/components/ui"
)

// withCloudConnect gives a Cloud Connect run's dialog its report row, and takes the
// provider's mail out of it: that mail lists the tenants of every customer, so the run
// shows only its own row (never the body or the .eml).
func (a *App) withCloudConnect(c *fiber.Ctx, d *review.RunDetail, m *runchecksview.RunModel) error {
	if d.Source != ingest.SourceCloudConnect {
		return nil
	}
	m.Body = ui.MailBody{} // the provider's report covers every tenant: never shown here
	row, err := cloudconnect.ForRun(c.UserContext(), a.db.Bun, d.ID)
	if err != nil {
		return err
	}
	p := &runchecksview.CloudConnectPanel{}
	if row != nil {
		alert := 0
		if s := state(c).settings; s.CloudConnectQuotaPercent != nil {
			alert = *s.CloudConnectQuotaPercent
		}
		acc := cloudconnectview.Account{}
		acc.UsedPercent, acc.HasPercent = cloudconnect.UsedPercent(row.UsedBytes, row.QuotaBytes)
		acc.PercentText = cloudconnect.PercentText(acc.UsedPercent)
		*p = runchecksview.CloudConnectPanel{Found: true, User: row.User, Section: row.Section, RepoName: row.RepoName,
			Repository: row.Repository, Machines: row.Machines, Quota: row.QuotaText, Used: row.UsedText, Free: row.FreeText,
			Percent: acc.Percent(), Bar: acc.Bar(), BarClass: acc.BarClass(alert), LastActive: row.LastActive, Expiry: row.Expiry,
			ReportedStatus: row.ReportedStatus, Colour: row.Colour, Status: row.Status, Message: row.Message,
			ReportAt: row.ReceivedAt, From: row.From}
	}
	m.CloudConnect = p
	return nil
}
