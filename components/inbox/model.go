// Package inbox renders the Inbox, its mail dialog and the Deleted mails page.
package inbox

import (
	"fmt"
	"net/url"
	"time"

	"github.com/backupchecks/backupchecks/components/ui"
)

// Row is one mail in a list.
type Row struct {
	ID         int64
	From       string
	Subject    string
	ReceivedAt time.Time
	Software   string
	Type       string
	JobName    string
	Status     string
	Parser     string
	Generic    bool
	ParseError string
	DeletedAt  *time.Time
}

// List is a page of mails.
type List struct {
	Rows   []Row
	Pager  ui.Pager
	Task   *ui.Task     // a re-parse under way
	Upload UploadLimits // shown in the upload box
	Query  string       // the search (q) the list is filtered by
}

// refreshURL is the list's own URL (live refreshes keep its page and search).
func (l List) refreshURL() string {
	u := fmt.Sprintf("/inbox?page=%d", l.Pager.Page)
	if l.Query != "" {
		u += "&q=" + url.QueryEscape(l.Query)
	}
	return u
}

// UploadLimits are the limits of one upload, in bytes.
type UploadLimits struct {
	MaxFiles      int
	MaxFileBytes  int64
	MaxTotalBytes int64
}

// Text says the limits in the upload box.
func (l UploadLimits) Text() string {
	mb := func(n int64) string {
		if n >= 1<<20 && n%(1<<20) == 0 {
			return fmt.Sprintf("%d MB", n>>20)
		}
		return sizeText(n)
	}
	return fmt.Sprintf("Up to %d files, %s each, %s in all. A larger mail is refused, never cut short.",
		l.MaxFiles, mb(l.MaxFileBytes), mb(l.MaxTotalBytes))
}

// Detail is the mail dialog.
type Detail struct {
	Row
	To          string
	MessageID   string
	Source      string
	Size        int64
	Location    string
	Host        string
	Message     string
	StartedAt   *time.Time
	EndedAt     *time.Time
	Objects     []ui.Object
	Body        ui.MailBody
	Skipped     []string
	Approvable  string // "" when it can be approved, else why not
	ExistingJob string // "customer / job" when approving only adds to an existing job
	// NeedsJobName: no parser knows the product; approving names the job and its
	// subject pattern.
	NeedsJobName bool
	TimeNote     string // why the run's times are not the report's, "" when they are
}

// ApproveForm is the approve section with its field errors.
type ApproveForm struct {
	MailID         int64
	CustomerName   string
	CustomerID     string // an id, "new", or ""
	Options        []CustomerOption
	MoreCustomers  bool   // more customers match than Options lists
	JobName        string // for a mail no parser knows (Detail.NeedsJobName)
	SubjectPattern string
	Errors         map[string]string
}

// CustomerOption is one type-ahead match.
type CustomerOption struct {
	ID   int64
	Name string
}

func mailURL(id int64, suffix string) string { return fmt.Sprintf("/inbox/%d%s", id, suffix) }

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
