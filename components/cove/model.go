// Package cove renders the Cove accounts page (/cove/accounts) and its dialogs.
package cove

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	inboxview "github.com/backupchecks/backupchecks/components/inbox"
	"github.com/backupchecks/backupchecks/components/ui"
)

// Page is the accounts page: one page of accounts and the filter.
type Page struct {
	Rows      []Row
	Pager     ui.Pager
	Query     string // search text
	Show      string // "", "unmatched", "matched"
	Total     int    // matching the filter
	Unmatched int    // of all accounts
	All       int
	Enabled   bool // the integration is enabled
}

// ListQuery is the page's filter and page number as a query string: actions return
// to this list.
func (p Page) ListQuery() string {
	q := url.Values{}
	if p.Query != "" {
		q.Set("q", p.Query)
	}
	if p.Show != "" {
		q.Set("show", p.Show)
	}
	if p.Pager.Page > 1 {
		q.Set("page", strconv.Itoa(p.Pager.Page))
	}
	return q.Encode()
}

// Row is one account.
type Row struct {
	AccountID   int64
	Device      string
	Computer    string
	Customer    string
	DataSources string
	Type        string
	Status      string // Success / Warning / Failed, "" before a first session
	StatusLabel string
	LastSession *time.Time
	Days        []Day // the 28-day colour bar, oldest first; empty when Cove sent none
	JobID       int64 // the linked job, 0 when unmatched
	JobName     string
	JobCustomer string
	JobArchived bool
}

// Day is one cell of the colour bar.
type Day struct {
	Class string // cove-day-success, -warning, -failed, -none (no backup), -unknown
	Title string // the date and what happened
}

// CreateForm is Create job for one account, or for several (bulk) of one customer.
type CreateForm struct {
	Accounts   []Row
	JobName    string
	BackupType string
	Types      []string
	Customer   CustomerPick
	Errors     map[string]string
	List       string // the list to return to
}

// Bulk reports whether the form creates several jobs.
func (f CreateForm) Bulk() bool { return len(f.Accounts) > 1 }

// CustomerPick is the customer field with its choices.
type CustomerPick struct {
	Typed    string
	Options  []inboxview.CustomerOption
	Selected string // a customer id, "new" or ""
	More     bool
}

// LinkForm is Link to existing job.
type LinkForm struct {
	Account Row
	Search  string
	Jobs    []JobOption
	JobID   string
	Errors  map[string]string
	List    string
}

// JobOption is a job the account may be linked to.
type JobOption struct {
	ID    int64
	Label string
}

// label names the account in messages: its device name, else computer, else id.
func (r Row) label() string {
	switch {
	case r.Device != "":
		return r.Device
	case r.Computer != "":
		return r.Computer
	}
	return fmt.Sprintf("account %d", r.AccountID)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// listVals is the hx-vals that sends the list to return to.
func listVals(list string) string {
	b, _ := json.Marshal(map[string]string{"list": list})
	return string(b)
}
