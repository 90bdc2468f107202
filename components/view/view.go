// Package view holds the view context that every page component receives as its
// first argument: who is looking, in which role, with which CSRF token and timezone.
package view

import (
	"slices"
	"time"

	"github.com/a-h/templ"
)

// User is the signed-in user as the templates need them.
type User struct {
	ID         int64
	Username   string
	Name       string
	Roles      []string
	ActiveRole string
	Theme      string
}

// Flash is a one-off message shown at the top of the page.
type Flash struct {
	Kind    string // success, info, warning, danger
	Message string
}

// Ctx is passed explicitly to components; templates never pull it from context.
type Ctx struct {
	User      *User // nil for an anonymous visitor
	CSRFToken string
	Location  *time.Location
	Path      string
	Flashes   []Flash
	Sandbox   bool
	// CoveEnabled: the Cove Data Protection integration is on (its navbar entry shows).
	CoveEnabled bool
	Version     string
	RequestID   string
	// Allowed reports whether the active role may call a route of the route table.
	Allowed func(method, pattern string) bool
	// Dialog is rendered open in the page: a dialog's own URL was loaded as a full
	// page. DialogBack is the URL of the page behind it, restored when it closes.
	Dialog     templ.Component
	DialogBack string
}

// Can reports whether the current user may call the route method pattern, named as in
// the route table: v.Can("POST", "/customers/:id/delete"). Buttons, links and menu
// entries that depend on the role ask this instead of checking roles by hand.
func (v Ctx) Can(method, pattern string) bool { return v.Allowed != nil && v.Allowed(method, pattern) }

// CanOpen reports whether the current user may open the page at pattern (GET).
func (v Ctx) CanOpen(pattern string) bool { return v.Can("GET", pattern) }

// SignedIn reports whether a user is signed in.
func (v Ctx) SignedIn() bool { return v.User != nil }

// Theme is the colour theme for the <html> element.
func (v Ctx) Theme() string {
	if v.User == nil || v.User.Theme == "" {
		return "auto"
	}
	return v.User.Theme
}

// HasRole reports whether the signed-in user holds role.
func (v Ctx) HasRole(role string) bool { return v.User != nil && slices.Contains(v.User.Roles, role) }

// FormatTime shows t in the UI timezone.
func (v Ctx) FormatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	loc := v.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// FormatClock shows the time of day of t in the UI timezone (for instants minutes
// away, such as the end of a login lockout).
func (v Ctx) FormatClock(t time.Time) string {
	loc := v.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("15:04")
}

// FormatTimePtr shows *t or a dash.
func (v Ctx) FormatTimePtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return v.FormatTime(*t)
}

// CSRFHeaders is the hx-headers value that makes htmx send the CSRF token.
func (v Ctx) CSRFHeaders() string { return `{"X-CSRF-Token": "` + v.CSRFToken + `"}` }
