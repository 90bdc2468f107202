// Package cloudconnect renders the Veeam Cloud Connect accounts page: the accounts of
// the providers' reports, unlinked first, with Create job, Link to existing job,
// Unlink and Scan inbox.
package cloudconnect

import (
	"fmt"
	"time"

	inboxview "github.com/backupchecks/backupchecks/components/inbox"
	"github.com/backupchecks/backupchecks/components/ui"
)

// Account is one row of the table.
type Account struct {
	ID             int64
	User           string
	Section        string
	RepoName       string
	Repository     string
	Machines       string
	Quota          string
	Used           string
	Free           string
	UsedPercent    float64 // of the quota, when HasPercent
	HasPercent     bool
	PercentText    string // UsedPercent as shown: "99.7%" (never rounded up to a threshold)
	LastActive     string
	Expiry         string
	ReportedStatus string // Veeam's, from the row colour
	Status         string // after the rules
	Message        string
	LastReportAt   *time.Time
	LastMailID     int64 // 0 when the report was purged

	Linked       bool
	JobID        int64
	JobLabel     string // "Customer / job"
	JobArchived  bool
	SuggestedJob string
}

// Label names the account in a dialog: user / repository (section).
func (a Account) Label() string {
	repo := a.RepoName
	if repo == "" {
		repo = "no repo name"
	}
	return a.User + " / " + repo + " (" + a.Section + ")"
}

// Percent is the share of the quota used as shown beside the bar.
func (a Account) Percent() string {
	if !a.HasPercent {
		return ""
	}
	return a.PercentText
}

// Bar is the width of the usage bar (0–100).
func (a Account) Bar() string { return fmt.Sprintf("%.0f", max(0, min(a.UsedPercent, 100))) }

// BarClass colours the usage bar: at or above the quota alert a warning, full danger.
func (a Account) BarClass(alert int) string {
	switch {
	case a.UsedPercent >= 100:
		return "bg-danger"
	case alert > 0 && a.UsedPercent >= float64(alert):
		return "bg-warning"
	}
	return "bg-success"
}

// Filter is what the list shows.
type Filter struct {
	Query string
	Show  string // "", "unlinked", "linked"
}

// List is one page of the table.
type List struct {
	Rows     []Account
	Filter   Filter
	Unlinked int // of all accounts
	Linked   int
	Pager    ui.Pager
	// The rules, as the page explains them.
	QuotaAlert   int // percent, 0 when off
	InactiveDays int // 0 when off
}

// Empty: there are no accounts at all (not just none matching).
func (l List) Empty() bool { return l.Unlinked+l.Linked == 0 }

// CreateJobForm is the Create job dialog.
type CreateJobForm struct {
	Account       Account
	JobName       string
	CustomerName  string
	CustomerID    string // as chosen: an id, "new" or ""
	Options       []inboxview.CustomerOption
	MoreCustomers bool
	Errors        map[string]string
}

// LinkForm is the Link to existing job dialog.
type LinkForm struct {
	Account Account
	Search  string
	JobID   string
	Options []JobOption
	Errors  map[string]string
}

// JobOption is a job offered for linking.
type JobOption struct {
	ID    int64
	Label string
}
