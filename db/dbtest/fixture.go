package dbtest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// Fixtures writes the rows a test starts from, in the chain the data model has:
// customer → job → runs, and stored mails:
//
//	f := dbtest.Fixture(t, d)
//	nightly := f.Customer("Acme").Job(dbtest.Job{Name: "Nightly"}).
//		Runs(dbtest.Run{Status: db.StatusFailed, At: at}, dbtest.Run{At: at.Add(time.Hour)})
//	// nightly.ID, nightly.CustomerID, nightly.RunIDs
//
// Each call that adds a row is one INSERT through bun with the values given and the
// defaults documented on the field; nothing else is written. In particular no job
// summary, audit entry or live notification: a test that needs them calls the
// capability that keeps them (e.g. review.RecountJobSummaries), so what it tests stays
// visible. A failed INSERT fails the test. CustomerByID and JobByID add to rows made
// another way (by approving a mail, say).
type Fixtures struct {
	t     testing.TB
	idb   bun.IDB
	names int // numbers default names
}

// Fixture returns the fixture writer for d.
func Fixture(t testing.TB, d *db.DB) *Fixtures {
	return &Fixtures{t: t, idb: d.Bun}
}

func (f *Fixtures) next() int {
	f.names++
	return f.names
}

// insert runs q (an INSERT) and fails the test on an error, naming what.
func (f *Fixtures) insert(what string, q *bun.InsertQuery) {
	f.t.Helper()
	if _, err := q.Exec(f.t.Context()); err != nil {
		f.t.Fatalf("dbtest: insert %s: %v", what, err)
	}
}

// id runs an INSERT … RETURNING id written in SQL (for the link tables that have no
// model) and returns the id.
func (f *Fixtures) id(what, query string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.idb.NewRaw(query, args...).Scan(f.t.Context(), &id); err != nil {
		f.t.Fatalf("dbtest: insert %s: %v", what, err)
	}
	return id
}

// Customer is a customer row.
type Customer struct {
	Name     string // default "Customer <n>"
	Inactive bool   // active is the default
}

// CustomerRef is an inserted customer; its methods add rows that belong to it.
type CustomerRef struct {
	f  *Fixtures
	ID int64
}

// Customer inserts an active customer named name.
func (f *Fixtures) Customer(name string) *CustomerRef {
	f.t.Helper()
	return f.AddCustomer(Customer{Name: name})
}

// AddCustomer inserts c.
func (f *Fixtures) AddCustomer(c Customer) *CustomerRef {
	f.t.Helper()
	if c.Name == "" {
		c.Name = fmt.Sprintf("Customer %d", f.next())
	}
	row := &db.Customer{Name: c.Name, Active: !c.Inactive}
	f.insert("customer "+c.Name, f.idb.NewInsert().Model(row))
	return &CustomerRef{f: f, ID: row.ID}
}

// CustomerByID returns a ref to a customer that exists already (made by the code
// under test, say), to add rows to it. It writes and checks nothing.
func (f *Fixtures) CustomerByID(id int64) *CustomerRef {
	return &CustomerRef{f: f, ID: id}
}

// Object inserts a customer object (the thing a backup protects) and returns its id.
func (c *CustomerRef) Object(name, typ string) int64 {
	c.f.t.Helper()
	return c.f.id("customer object "+name,
		"INSERT INTO customer_objects (customer_id, object_name, object_type) VALUES (?, ?, ?) RETURNING id", c.ID, name, typ)
}

// Job is a job row.
type Job struct {
	Name     string // default "Job <n>"
	Software string // default "Veeam"
	Type     string // default "Backup Job"
	// From is the report mails' sender (from_address), NULL when empty. The column
	// holds lower case only.
	From          string
	CoveAccountID int64 // NULL when 0
	Inactive      bool
	Informational bool
	ArchivedAt    *time.Time
	CreatedAt     time.Time // default now()

	// Schedules are marshalled to JSON (a schedule.Schedule, or a map); nil (also a
	// nil pointer) is NULL.
	LearnedSchedule any
	ManualSchedule  any
	Locked          bool // schedule_locked; needs ManualSchedule
	GraceMinutes    *int
}

// JobRef is an inserted job with the runs added through it so far.
type JobRef struct {
	f          *Fixtures
	ID         int64
	CustomerID int64
	RunIDs     []int64 // in the order added
}

// Job inserts j for the customer.
func (c *CustomerRef) Job(j Job) *JobRef {
	f := c.f
	f.t.Helper()
	if j.Name == "" {
		j.Name = fmt.Sprintf("Job %d", f.next())
	}
	if j.Software == "" {
		j.Software = "Veeam"
	}
	if j.Type == "" {
		j.Type = "Backup Job"
	}
	row := &db.Job{CustomerID: c.ID, JobName: j.Name, BackupSoftware: j.Software, BackupType: j.Type,
		FromAddress: nullString(j.From), Active: !j.Inactive, Informational: j.Informational,
		ArchivedAt: j.ArchivedAt, CreatedAt: j.CreatedAt}
	if j.CoveAccountID != 0 {
		row.CoveAccountID = &j.CoveAccountID
	}
	q := f.idb.NewInsert().Model(row).
		Value("learned_schedule", "?::jsonb", f.jsonOrNil(j.LearnedSchedule)).
		Value("manual_schedule", "?::jsonb", f.jsonOrNil(j.ManualSchedule)).
		Value("schedule_locked", "?", j.Locked).
		Value("schedule_grace_minutes", "?", j.GraceMinutes)
	f.insert("job "+j.Name, q)
	return &JobRef{f: f, ID: row.ID, CustomerID: c.ID}
}

// JobByID returns a ref to a job that exists already (made by approving a mail, say),
// to add runs and mails to it; it reads the job's customer.
func (f *Fixtures) JobByID(id int64) *JobRef {
	f.t.Helper()
	j := &JobRef{f: f, ID: id}
	if err := f.idb.NewSelect().Model((*db.Job)(nil)).Column("customer_id").Where("id = ?", id).Scan(f.t.Context(), &j.CustomerID); err != nil {
		f.t.Fatalf("dbtest: job %d: %v", id, err)
	}
	return j
}

// LinkObject records that the job backs up a customer object (job_object_links).
func (j *JobRef) LinkObject(objectID int64) *JobRef {
	j.f.t.Helper()
	j.f.id("job object link", "INSERT INTO job_object_links (job_id, customer_object_id) VALUES (?, ?) RETURNING job_id", j.ID, objectID)
	return j
}

// Run is a job_runs row.
type Run struct {
	Status     string    // default "Success"
	At         time.Time // run_at; required
	Source     string    // source_type, default "email"
	ExternalID string    // NULL when empty
	Message    string    // NULL when empty
	MailID     int64     // mail_message_id, NULL when 0
	ReviewedAt *time.Time
	// Overridden is overridden_status as a one-off "Mark as Success" sets it (no rule,
	// overridden_at = At); empty for none.
	Overridden string
	// The Autotask ticket the run carries; none when AutotaskTicketID is 0.
	AutotaskTicketID     int64
	AutotaskTicketNumber string
}

// Runs inserts runs of the job, one INSERT each, and appends their ids to RunIDs.
func (j *JobRef) Runs(runs ...Run) *JobRef {
	j.f.t.Helper()
	for _, r := range runs {
		j.Run(r)
	}
	return j
}

// Run inserts one run of the job, appends its id to RunIDs and returns it.
func (j *JobRef) Run(r Run) int64 {
	f := j.f
	f.t.Helper()
	if r.At.IsZero() {
		f.t.Fatalf("dbtest: a run of job %d needs At (its run_at)", j.ID)
	}
	if r.Status == "" {
		r.Status = db.StatusSuccess
	}
	if r.Source == "" {
		r.Source = "email"
	}
	row := &db.JobRun{JobID: j.ID, Status: r.Status, SourceType: &r.Source, ExternalID: nullString(r.ExternalID),
		RunAt: r.At, Message: nullString(r.Message), ReviewedAt: r.ReviewedAt}
	if r.MailID != 0 {
		row.MailMessageID = &r.MailID
	}
	q := f.idb.NewInsert().Model(row)
	if r.Overridden != "" {
		q = q.Value("overridden_status", "?", r.Overridden).Value("overridden_at", "?", r.At)
	}
	if r.AutotaskTicketID != 0 {
		q = q.Value("autotask_ticket_id", "?", r.AutotaskTicketID).Value("autotask_ticket_number", "?", r.AutotaskTicketNumber)
	}
	f.insert(fmt.Sprintf("run of job %d", j.ID), q)
	j.RunIDs = append(j.RunIDs, row.ID)
	return row.ID
}

// RunObject records a customer object's result in a run (run_object_links); status
// and message are NULL when empty.
func (f *Fixtures) RunObject(runID, objectID int64, status, message string) {
	f.t.Helper()
	f.id("run object link", `INSERT INTO run_object_links (job_run_id, customer_object_id, status, error_message)
		VALUES (?, ?, ?, ?) RETURNING job_run_id`, runID, objectID, nullString(status), nullString(message))
}

// Mail is a stored mail_messages row, as the import leaves it after parsing.
type Mail struct {
	Source     string    // default "upload"
	SourceID   string    // NULL when empty
	MessageID  string    // NULL when empty
	Raw        []byte    // raw_mime, default empty; size is its length
	From       string    // NULL when empty
	Subject    string    // NULL when empty
	ReceivedAt time.Time // required
	// Location defaults to "inbox" for Fixtures.Mail and "processed" for JobRef.Mail.
	Location string

	// The parse result; all NULL when empty.
	Parser         string
	ParsedSoftware string
	ParsedType     string
	ParsedJob      string
	ParsedStatus   string
}

// Mail inserts a mail of no job (an Inbox mail unless m.Location says otherwise) and
// returns its id.
func (f *Fixtures) Mail(m Mail) int64 {
	f.t.Helper()
	if m.Location == "" {
		m.Location = db.LocationInbox
	}
	return f.mail(m, nil)
}

// Mail inserts a mail of the job (processed unless m.Location says otherwise) and
// returns its id; a run refers to it with Run.MailID.
func (j *JobRef) Mail(m Mail) int64 {
	j.f.t.Helper()
	if m.Location == "" {
		m.Location = db.LocationProcessed
	}
	return j.f.mail(m, &j.ID)
}

func (f *Fixtures) mail(m Mail, jobID *int64) int64 {
	f.t.Helper()
	if m.ReceivedAt.IsZero() {
		f.t.Fatal("dbtest: a mail needs ReceivedAt")
	}
	if m.Source == "" {
		m.Source = db.SourceUpload
	}
	if m.Raw == nil {
		m.Raw = []byte{}
	}
	row := &db.MailMessage{Source: m.Source, SourceID: nullString(m.SourceID), MessageID: nullString(m.MessageID),
		Size: int64(len(m.Raw)), RawMIME: m.Raw, SkippedAttachments: []any{},
		FromAddress: nullString(m.From), Subject: nullString(m.Subject), ReceivedAt: m.ReceivedAt,
		Location: m.Location, JobID: jobID,
		ParserName: nullString(m.Parser), ParsedBackupSoftware: nullString(m.ParsedSoftware),
		ParsedBackupType: nullString(m.ParsedType), ParsedJobName: nullString(m.ParsedJob), ParsedStatus: nullString(m.ParsedStatus)}
	f.insert("mail "+m.Subject, f.idb.NewInsert().Model(row))
	return row.ID
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// jsonOrNil marshals v for a jsonb column; nil (a nil pointer too) stays NULL.
func (f *Fixtures) jsonOrNil(v any) any {
	f.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Fatalf("dbtest: marshal %T: %v", v, err)
	}
	if string(b) == "null" {
		return nil
	}
	return string(b)
}
