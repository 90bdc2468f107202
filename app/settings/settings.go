// Package settings reads and changes the single system_settings row. Every request
// reads the row afresh (one primary-key lookup), so a change on one replica applies on
// all of them at once without a restart.
package settings

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// DefaultTimezone is the UI timezone of a fresh installation.
const DefaultTimezone = "Europe/Amsterdam"

// Load returns the settings row.
func Load(ctx context.Context, idb bun.IDB) (*db.SystemSettings, error) {
	s := new(db.SystemSettings)
	if err := idb.NewSelect().Model(s).Where("id = 1").Scan(ctx); err != nil {
		return nil, fmt.Errorf("settings: load: %w", db.NotFound(err))
	}
	return s, nil
}

// Location returns the UI timezone, falling back to the default if the stored name
// cannot be loaded (it was validated when saved, so this only guards a broken tzdata).
func Location(s *db.SystemSettings) *time.Location {
	if loc, err := loadLocation(s.UITimezone); err == nil {
		return loc
	}
	loc, _ := loadLocation(DefaultTimezone)
	return loc
}

// locations caches loaded zones: time.LoadLocation reads and parses the zone file on
// every call, and every page needs the UI timezone. A Location never changes.
var locations sync.Map // name → *time.Location

func loadLocation(name string) (*time.Location, error) {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, loc)
	return loc, nil
}

// General is the General tab's section as submitted.
type General struct {
	UITimezone          string
	LoginCaptchaEnabled bool
	SandboxEnabled      bool
}

// ValidateTimezone returns a user-facing message when name is not an IANA zone.
func ValidateTimezone(name string) string {
	switch {
	case name == "":
		return "enter a timezone such as Europe/Amsterdam"
	case name == "Local" || strings.HasPrefix(name, "posix/") || strings.HasPrefix(name, "right/"):
		return fmt.Sprintf("%q is not a timezone name; use one such as Europe/Amsterdam", name)
	}
	if _, err := time.LoadLocation(name); err != nil {
		return fmt.Sprintf("unknown timezone %q; use a name from the tz database such as Europe/Amsterdam", name)
	}
	return ""
}

// UpdateGeneral validates and saves the General section and audits what changed.
func UpdateGeneral(ctx context.Context, bdb *bun.DB, actor audit.Actor, g General) (*db.SystemSettings, error) {
	g.UITimezone = strings.TrimSpace(g.UITimezone)
	errs := validation.Errors{}
	if msg := ValidateTimezone(g.UITimezone); msg != "" {
		errs.Add("ui_timezone", msg)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	var saved *db.SystemSettings
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old := new(db.SystemSettings)
		if err := tx.NewSelect().Model(old).Where("id = 1").For("UPDATE").Scan(ctx); err != nil {
			return err
		}
		changes := audit.Changes{}
		changes.Add("ui_timezone", old.UITimezone, g.UITimezone)
		changes.Add("login_captcha_enabled", old.LoginCaptchaEnabled, g.LoginCaptchaEnabled)
		changes.Add("sandbox_enabled", old.SandboxEnabled, g.SandboxEnabled)
		saved = old
		saved.UITimezone, saved.LoginCaptchaEnabled, saved.SandboxEnabled = g.UITimezone, g.LoginCaptchaEnabled, g.SandboxEnabled
		if len(changes) == 0 {
			return nil
		}
		if actor.ID != 0 {
			saved.UpdatedBy = &actor.ID
		}
		if _, err := tx.NewUpdate().Model(saved).
			Column("ui_timezone", "login_captcha_enabled", "sandbox_enabled", "updated_by").
			Set("updated_at = now()").WherePK().Returning("*").Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.SettingsUpdated, "settings:general", changes)
	})
	if err != nil {
		return nil, fmt.Errorf("settings: update general: %w", err)
	}
	return saved, nil
}

// TimezoneNames lists zone names for the timezone picker (from PostgreSQL's tz list,
// each still validated by Go on save).
func TimezoneNames(ctx context.Context, idb bun.IDB) ([]string, error) {
	var names []string
	err := idb.NewRaw(`SELECT name FROM pg_timezone_names
		WHERE name ~ '^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)/' OR name = 'UTC'
		ORDER BY name`).Scan(ctx, &names)
	if err != nil {
		return nil, fmt.Errorf("settings: timezone names: %w", err)
	}
	return names, nil
}
