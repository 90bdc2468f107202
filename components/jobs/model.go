// Package jobs renders the Jobs list, the Archived jobs page and a job's detail page.
package jobs

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	ticketsview "github.com/backupchecks/backupchecks/components/tickets"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

// Row is one job in a list.
type Row struct {
	ID             int64
	CustomerID     int64
	CustomerName   string
	CustomerActive bool
	JobName        string
	BackupSoftware string
	BackupType     string
	Schedule       string
	Informational  bool
	LastRunAt      *time.Time
	LastRunStatus  string
	Unreviewed     int
	ArchivedAt     *time.Time
}

// List is a page of jobs with its filter.
type List struct {
	Rows            []Row
	Pager           ui.Pager
	Sort            string
	Query           string // search text
	CustomerID      int64
	CustomerName    string // the active filter's customer, for the banner
	CustomerActive  bool
	IncludeInactive bool // jobs of inactive customers shown too
	HiddenInactive  int  // jobs of inactive customers left out
	Customers       *ui.OptionList
	Archived        bool
}

// values is the list's filter as a query string, sorted by sort.
func (l List) values(sort string) url.Values {
	q := url.Values{}
	q.Set("sort", sort)
	if l.CustomerID != 0 {
		q.Set("customer_id", strconv.FormatInt(l.CustomerID, 10))
	}
	if l.Query != "" {
		q.Set("q", l.Query)
	}
	if l.IncludeInactive {
		q.Set("inactive", "on")
	}
	return q
}

// PagerBase is the list's URL up to the page number, for ui.Pager.
func (l List) PagerBase() string {
	if l.Archived {
		return "/jobs/archived?"
	}
	return "/jobs?" + l.values(l.Sort).Encode() + "&"
}

// inactiveURL is the list with the jobs of inactive customers shown or not.
func inactiveURL(l List, show bool) string {
	q := l.values(l.Sort)
	q.Del("inactive")
	if show {
		q.Set("inactive", "on")
	}
	return "/jobs?" + q.Encode()
}

// jobsText says how many jobs: "1 job", "6 jobs".
func jobsText(n int) string {
	if n == 1 {
		return "1 job"
	}
	return fmt.Sprintf("%d jobs", n)
}

func (l List) filtered() bool { return l.Query != "" || l.CustomerID != 0 }

// Run is one run in the history.
type Run struct {
	ID         int64
	Status     string
	Overridden bool
	Source     string
	RunAt      time.Time
	StartedAt  *time.Time
	EndedAt    *time.Time
	MailID     *int64
	Message    string
	ReviewedAt *time.Time
	ReviewedBy string
	Superseded bool
	Objects    int
	Alerts     []ticketsview.Alert // its tickets and remarks: linked to it, or open on its scope
}

// Day is one cell of the heat strip.
type Day struct {
	Date   time.Time
	Status string
	Runs   int
}

// Detail is a job's page.
type Detail struct {
	Job     Row
	Runs    []Run
	Pager   ui.Pager
	Days    []Day
	Objects []ui.Object // each with its latest result
	// ShowReviews: the role may see who reviewed which run (a Reviewed column and the
	// review history).
	ShowReviews bool

	ScheduleSection ScheduleModel
	MatchingSection MatchingModel // how its mails are recognised
	Cove            *CoveSection  // a Cove job's account; nil for other jobs
	Reviews         []ReviewEvent
	Alerts          []JobAlert // open tickets and remarks on the job, its customer or its objects
}

// runURL is where a run of the history opens: the Run Checks dialog for whoever may
// review, else the read-only run.
func runURL(v view.Ctx, id int64) string {
	if v.CanOpen("/runchecks/runs/:id") {
		return fmt.Sprintf("/runchecks/runs/%d", id)
	}
	return fmt.Sprintf("/runs/%d", id)
}

// JobAlert is an open ticket or remark whose scope covers the job.
type JobAlert struct {
	Kind, Code, Text string
	Runs             int
}

// ReviewEvent is one review or unreview of a run of the job.
type ReviewEvent struct {
	RunID  int64
	Action string
	Actor  string
	At     time.Time
}

func jobURL(id int64) string { return fmt.Sprintf("/jobs/%d", id) }

func heatClass(s string) string {
	switch s {
	case "Success":
		return "heat heat-success"
	case "Warning":
		return "heat heat-warning"
	case "Failed":
		return "heat heat-failed"
	case "Missed":
		return "heat heat-missed"
	case "Info":
		return "heat heat-info"
	}
	return "heat heat-none"
}

func sortURL(l List, key string) string { return "/jobs?" + l.values(key).Encode() }

func sourceLabel(s string) string {
	switch s {
	case "cove_api":
		return "Cove API"
	case "cloud_connect":
		return "Cloud Connect"
	case "missed":
		return "expected, never came"
	}
	return "mail"
}
