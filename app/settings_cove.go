package app

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/db"
	riverjobs "github.com/backupchecks/backupchecks/jobs"
)

// Settings → Integrations → Cove: the section loads into the Integrations tab
// (GET /settings/integrations/cove), is edited inline, tests the saved connection and
// starts "Run import now".

func coveModel(s *db.SystemSettings) settingsview.Cove {
	c := s.CoveSettings
	m := settingsview.Cove{Enabled: c.CoveEnabled, APIURL: c.CoveAPIURL, Username: c.CoveUsername, PasswordSet: len(c.CovePassword) > 0,
		ImportEnabled: c.CoveImportEnabled, IntervalMinutes: strconv.Itoa(c.CoveImportIntervalMinutes),
		CheckedAt: c.CoveCheckedAt, CheckResult: c.CoveCheckResult,
		LastImportAt: c.CoveLastImportAt, LastImportResult: c.CoveLastImportResult, LastImportFailed: c.CoveLastImportFailed,
		OfflineEnabled: c.CoveOfflineEnabled, WarningDays: strconv.Itoa(c.CoveOfflineWarningDays), FailedDays: strconv.Itoa(c.CoveOfflineFailedDays)}
	if c.CovePartnerID != nil {
		m.PartnerID = strconv.FormatInt(*c.CovePartnerID, 10)
	}
	return m
}

// coveView is the section with the latest "Run import now" while it runs or was
// recent.
func (a *App) coveView(c *fiber.Ctx, s *db.SystemSettings) (settingsview.Cove, error) {
	m := coveModel(s)
	t, err := tasks.Latest(c.UserContext(), a.db.Bun, cove.TaskKind)
	if err != nil {
		return m, err
	}
	if t != nil && (t.FinishedAt == nil || a.now().Sub(*t.FinishedAt) < 10*time.Minute) {
		m.Task = taskView(t)
	}
	return m, nil
}

func (a *App) settingsCoveView(c *fiber.Ctx) error {
	m, err := a.coveView(c, state(c).settings)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.CoveView(a.view(c), m))
}

func (a *App) settingsCoveEdit(c *fiber.Ctx) error {
	f := settingsview.CoveForm{Cove: coveModel(state(c).settings)}
	return a.renderFragment(c, fiber.StatusOK, settingsview.CoveEdit(a.view(c), f))
}

func (a *App) settingsCoveSave(c *fiber.Ctx) error {
	in := cove.Input{Enabled: c.FormValue("cove_enabled") == "on", APIURL: c.FormValue("cove_api_url"),
		Username: c.FormValue("cove_username"), Password: c.FormValue("cove_password"),
		ImportEnabled: c.FormValue("cove_import_enabled") == "on", IntervalMinutes: c.FormValue("cove_import_interval_minutes"),
		OfflineEnabled: c.FormValue("cove_offline_enabled") == "on",
		WarningDays:    c.FormValue("cove_offline_warning_days"), FailedDays: c.FormValue("cove_offline_failed_days")}
	saved, err := cove.UpdateSettings(c.UserContext(), a.db.Bun, a.keys, a.actor(c), in)
	if errs, ok := validation.As(err); ok {
		cur := coveModel(state(c).settings)
		f := settingsview.CoveForm{Errors: errs, Cove: settingsview.Cove{Enabled: in.Enabled, APIURL: in.APIURL, Username: in.Username,
			PasswordSet: cur.PasswordSet, PartnerID: cur.PartnerID, ImportEnabled: in.ImportEnabled, IntervalMinutes: in.IntervalMinutes,
			OfflineEnabled: in.OfflineEnabled, WarningDays: in.WarningDays, FailedDays: in.FailedDays}}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, settingsview.CoveEdit(a.view(c), f))
	}
	if err != nil {
		return err
	}
	state(c).settings = saved
	m, err := a.coveView(c, saved)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.CoveView(a.view(c), m), success("Cove settings saved."))
}

// settingsCoveTest logs in with the saved settings and reads one account: the section
// again with the result (partner id filled in), or {ok, partner_id, message} for a
// client asking for JSON.
func (a *App) settingsCoveTest(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 45*time.Second)
	defer cancel()
	var res cove.TestResult
	client, err := cove.ClientFrom(state(c).settings, a.keys, func(cfg *cove.Config) { cfg.MaxRetries = 1 })
	if err != nil {
		res.Message = "Connection failed: " + err.Error()
	} else if res, err = cove.TestConnection(ctx, a.db.Bun, client, a.actor(c), a.now()); err != nil {
		return err
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON) && !isHTMX(c) {
		return c.JSON(res)
	}
	s, err := settings.Load(c.UserContext(), a.db.Bun) // with the partner id and test just stored
	if err != nil {
		return err
	}
	state(c).settings = s
	m, err := a.coveView(c, s)
	if err != nil {
		return err
	}
	m.Test = &settingsview.CoveTest{OK: res.OK, PartnerID: res.PartnerID, Message: res.Message}
	return a.renderFragment(c, fiber.StatusOK, settingsview.CoveView(a.view(c), m))
}

// settingsCoveRun starts "Run import now" and shows its progress; the start is audited.
func (a *App) settingsCoveRun(c *fiber.Ctx) error {
	if !state(c).settings.CoveEnabled {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Enable the Cove integration and save it first.")
	}
	return a.startTask(c, func(q *riverjobs.Queue, ctx context.Context, userID int64) (int64, error) {
		id, err := q.StartCoveImport(ctx, userID)
		if err != nil {
			return 0, err
		}
		return id, audit.Record(ctx, a.db.Bun, a.actor(c), cove.ActionImportNow, "settings:cove", map[string]any{"task_id": id})
	})
}
