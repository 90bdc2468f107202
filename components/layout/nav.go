package layout

import (
	"slices"

	"github.com/backupchecks/backupchecks/components/view"
)

// NavItem is one navbar link.
type NavItem struct {
	Label string
	Path  string
}

// The navbar groups as in the reference: primary operational links in the bar, admin
// pages under Admin, secondary pages under More. Later areas add themselves here; an
// item shows only when the active role may open its path.
var (
	primaryNav = []NavItem{
		{"Dashboard", "/"},
		{"Inbox", "/inbox"},
		{"Cove", "/cove/accounts"},
		{"Daily Jobs", "/daily"},
		{"Run Checks", "/runchecks"},
		{"Tickets", "/tickets"},
		{"Customers", "/customers"},
		{"Jobs", "/jobs"},
		{"Reports", "/reports"},
	}
	adminNav = []NavItem{
		{"Settings", "/settings"},
		{"Users", "/users"},
		{"Parsers", "/parsers"},
		{"Archived jobs", "/jobs/archived"},
		{"Logging", "/audit"},
		{"Background jobs", "/background"},
	}
	moreNav = []NavItem{
		{"Overrides", "/overrides"},
		{"Cloud Connect", "/cloud-connect/accounts"},
		{"Feedback", "/feedback"},
	}
)

// NavItems is every item the navbar may show (TestControlsNameRoutes checks that each
// path is a page of the route table).
func NavItems() []NavItem { return slices.Concat(primaryNav, adminNav, moreNav) }

// shownWhen holds the items that show only under a condition besides the role.
var shownWhen = map[string]func(view.Ctx) bool{
	"/cove/accounts": func(v view.Ctx) bool { return v.CoveEnabled },
}

func visible(v view.Ctx, items []NavItem) []NavItem {
	var out []NavItem
	for _, it := range items {
		if cond := shownWhen[it.Path]; cond != nil && !cond(v) {
			continue
		}
		if v.CanOpen(it.Path) {
			out = append(out, it)
		}
	}
	return out
}

func isActive(v view.Ctx, path string) bool {
	if path == "/" {
		return v.Path == "/"
	}
	return v.Path == path || len(v.Path) > len(path) && v.Path[:len(path)+1] == path+"/"
}

func navClass(v view.Ctx, path string) string {
	if isActive(v, path) {
		return "nav-link active"
	}
	return "nav-link"
}

func dropdownClass(v view.Ctx, path string) string {
	if isActive(v, path) {
		return "dropdown-item active"
	}
	return "dropdown-item"
}

// RoleLabel is how a role is shown.
func RoleLabel(role string) string {
	switch role {
	case "admin":
		return "Admin"
	case "operator":
		return "Operator"
	case "viewer":
		return "Viewer"
	case "reporter":
		return "Reporter"
	}
	return role
}
