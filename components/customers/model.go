// Package customers renders the Customers page: the list with job counts, inline
// create and edit, CSV import and export.
package customers

import (
	"fmt"

	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

// Row is one customer in the table.
type Row struct {
	ID       int64
	Name     string
	Active   bool
	JobCount int // jobs the Jobs list shows for it (not archived, active)
	AllJobs  int // archived ones too: a customer with any job cannot be deleted

	AutotaskCompany string // mapped company's name as mapped; empty = not mapped
	AutotaskStatus  string // ok | renamed | missing | invalid
}

// Company is an Autotask company offered when mapping a customer.
type Company struct {
	ID     int64
	Name   string
	Active bool
}

// AutotaskPanel is a customer's Autotask mapping with a company search.
type AutotaskPanel struct {
	Row
	Query    string
	Results  []Company
	Error    string
	Searched bool
}

// List is one page of the table with the filter that selected it.
type List struct {
	Rows         []Row
	Query        string
	ShowInactive bool
	Pager        ui.Pager
	Autotask     bool // the Autotask integration is enabled: mapping buttons
}

// CreateForm is the inline "new customer" form.
type CreateForm struct {
	Name      string
	Active    bool
	Errors    map[string]string
	Autofocus bool
}

// EditForm is a row being edited.
type EditForm struct {
	Row
	Errors map[string]string
}

// ImportForm is the CSV upload form with the problems of a rejected file.
type ImportForm struct {
	Errors []string
}

// Model is the whole page.
type Model struct {
	List   List
	Create CreateForm
	Import ImportForm
}

// MaxNameLength is the longest customer name the server accepts (customers.MaxNameLength;
// a test keeps the two equal), given to the name inputs as maxlength.
const MaxNameLength = 200

// customersText says how many customers: "1 customer", "3 customers".
func customersText(n int) string {
	if n == 1 {
		return "1 customer"
	}
	return fmt.Sprintf("%d customers", n)
}

// jobsText says how many jobs: "1 job", "3 jobs".
func jobsText(n int) string {
	if n == 1 {
		return "1 job"
	}
	return fmt.Sprintf("%d jobs", n)
}

// maxImportErrors is how many problems of a rejected file the form lists.
const maxImportErrors = 20

func rowID(id int64) string         { return fmt.Sprintf("customer-%d", id) }
func rowSel(id int64) string        { return "#" + rowID(id) }
func customerURL(id int64) string   { return fmt.Sprintf("/customers/%d", id) }
func jobsURL(id int64) string       { return fmt.Sprintf("/jobs?customer_id=%d", id) }
func formID(id int64) string        { return fmt.Sprintf("customer-%d-form", id) }
func nameInputID(id int64) string   { return fmt.Sprintf("customer-%d-name", id) }
func activeInputID(id int64) string { return fmt.Sprintf("customer-%d-active", id) }

// hasActions reports whether the table has an Actions column: the role may use a
// row's buttons (each button asks for its own route).
func hasActions(v view.Ctx) bool {
	return v.Can("GET", "/customers/:id/edit") || v.Can("POST", "/customers/:id/deactivate") || v.Can("POST", "/customers/:id/delete")
}

func columns(v view.Ctx) string {
	if hasActions(v) {
		return "4"
	}
	return "3"
}

func shown(errs []string) []string {
	if len(errs) > maxImportErrors {
		return errs[:maxImportErrors]
	}
	return errs
}
