// Package audit records who changed what, and lists the trail.
package audit

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// Actor is who performed an action. A zero ID means the system or an anonymous visitor.
type Actor struct {
	ID   int64
	Name string
	IP   string
}

// Actions recorded in the audit log.
const (
	LoginSuccess     = "login.success"
	LoginFailure     = "login.failure"
	Logout           = "logout"
	SetupAdmin       = "setup.admin_created"
	UserCreated      = "user.created"
	UserUpdated      = "user.updated"
	UserPassword     = "user.password_reset"
	UserDeactivated  = "user.deactivated"
	UserActivated    = "user.activated"
	UserUnlocked     = "user.unlocked"
	PasswordChanged  = "profile.password_changed"
	SettingsUpdated  = "settings.updated"
	ActiveRoleSwitch = "profile.role_switched"
)

// Masked replaces a secret's value in audit details.
const Masked = "••••••"

// Record appends one entry.
func Record(ctx context.Context, idb bun.IDB, actor Actor, action, target string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	e := &db.AuditEntry{ActorName: actor.Name, Action: action, Target: target, IP: actor.IP, Details: details}
	if actor.ID != 0 {
		e.ActorID = &actor.ID
	}
	if _, err := idb.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("audit: record %s: %w", action, err)
	}
	return nil
}

// Page is one page of the audit log, newest first.
type Page struct {
	Entries []db.AuditEntry
	Total   int
	Page    int
	PerPage int
}

// List returns page (1-based) of the log, optionally only entries whose action starts
// with actionPrefix.
func List(ctx context.Context, idb bun.IDB, page, perPage int, actionPrefix string) (Page, error) {
	if page < 1 {
		page = 1
	}
	p := Page{Page: page, PerPage: perPage}
	q := idb.NewSelect().Model(&p.Entries).Order("at DESC", "id DESC").Limit(int64(perPage)).Offset(int64((page - 1) * perPage))
	if actionPrefix != "" {
		q = q.Where("action LIKE ? || '%'", actionPrefix)
	}
	n, err := q.ScanAndCount(ctx)
	if err != nil {
		return p, fmt.Errorf("audit: list: %w", err)
	}
	p.Total = int(n)
	return p, nil
}

// Changes collects old → new pairs of the fields that changed, for an entry's details.
type Changes map[string]any

// Add records field when old and new differ.
func (c Changes) Add(field string, old, new any) {
	if fmt.Sprint(old) != fmt.Sprint(new) {
		c[field] = map[string]any{"old": old, "new": new}
	}
}

// AddSecret records that a secret field changed without its values.
func (c Changes) AddSecret(field string, changed bool) {
	if changed {
		c[field] = map[string]any{"old": Masked, "new": Masked}
	}
}
