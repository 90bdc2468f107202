package cloudconnect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Audit actions of this package.
const (
	ActionLinked     = "cloud_connect.linked"
	ActionUnlinked   = "cloud_connect.unlinked"
	ActionJobCreated = "cloud_connect.job_created"
)

// Account is an account as the accounts page shows it, with its job when linked.
type Account struct {
	ID             int64      `bun:"id"`
	User           string     `bun:"user_name"`
	Section        string     `bun:"section"`
	RepoName       string     `bun:"repo_name"`
	Repository     string     `bun:"repository"`
	Machines       string     `bun:"machines"`
	QuotaText      string     `bun:"quota_text"`
	UsedText       string     `bun:"used_text"`
	FreeText       string     `bun:"free_text"`
	QuotaBytes     *int64     `bun:"quota_bytes"`
	UsedBytes      *int64     `bun:"used_bytes"`
	FreeBytes      *int64     `bun:"free_bytes"`
	LastActive     string     `bun:"last_active"`
	LastActiveAt   *time.Time `bun:"last_active_at"`
	Expiry         string     `bun:"expiry"`
	ReportedStatus string     `bun:"reported_status"`
	Status         string     `bun:"status"`
	Message        string     `bun:"message"`
	LastResultAt   *time.Time `bun:"last_result_at"`
	LastMailID     *int64     `bun:"last_mail_id"`
	JobID          *int64     `bun:"job_id"`
	JobName        string     `bun:"job_name"`
	CustomerName   string     `bun:"customer_name"`
	JobArchived    bool       `bun:"job_archived"`
}

// SuggestedJobName names a new job after the account: user and repository, and the
// section when it is not Backup.
func (a Account) SuggestedJobName() string {
	repo := a.RepoName
	if repo == "" {
		repo = a.Repository
	}
	name := a.User
	if repo != "" {
		name += " - " + repo
	}
	if a.Section != "Backup" {
		name += " (" + a.Section + ")"
	}
	if utf8.RuneCountInString(name) > jobs.MaxJobName {
		name = string([]rune(name)[:jobs.MaxJobName])
	}
	return name
}

// Filter selects accounts for the page.
type Filter struct {
	Query   string // search terms (app/search/terms) over SearchColumns
	Show    string // "" (all), "unlinked" or "linked"
	Page    int
	PerPage int
}

// Page is one page of accounts, unlinked first, with the counts of both.
type Page struct {
	Rows     []Account
	Total    int // matching the filter
	Unlinked int // of all accounts
	Linked   int
	Page     int
	PerPage  int
}

const accountColumns = `a.id, a.user_name, a.section, a.repo_name, a.repository, a.machines, a.quota_text, a.used_text,
	a.free_text, a.quota_bytes, a.used_bytes, a.free_bytes, a.last_active, a.last_active_at, a.expiry,
	coalesce(a.reported_status, '') AS reported_status, coalesce(a.status, '') AS status, a.message,
	a.last_result_at, a.last_mail_id, a.job_id, coalesce(j.job_name, '') AS job_name,
	coalesce(c.name, '') AS customer_name, j.archived_at IS NOT NULL AS job_archived`

// SearchColumns are what an accounts search (the page's q and the global search)
// looks in, for accounts a with their job j and its customer c: user, repo name,
// repository, job and customer name (each with its trigram index).
var SearchColumns = []string{"a.user_name", "a.repo_name", "a.repository", "j.job_name", "c.name"}

const accountFrom = `cloud_connect_accounts a LEFT JOIN jobs j ON j.id = a.job_id LEFT JOIN customers c ON c.id = j.customer_id`

// List returns a page (1-based) of accounts: the unlinked first, then the linked, each
// by user, section and repository (index-backed).
func List(ctx context.Context, idb bun.IDB, f Filter) (Page, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 {
		f.PerPage = 50
	}
	p := Page{Page: f.Page, PerPage: f.PerPage}
	if err := idb.NewRaw(`SELECT count(*) FILTER (WHERE job_id IS NULL), count(*) FILTER (WHERE job_id IS NOT NULL)
		FROM cloud_connect_accounts`).Scan(ctx, &p.Unlinked, &p.Linked); err != nil {
		return p, fmt.Errorf("cloudconnect: count accounts: %w", err)
	}
	where, args := []string{"true"}, []any{}
	switch f.Show {
	case "unlinked":
		where = append(where, "a.job_id IS NULL")
	case "linked":
		where = append(where, "a.job_id IS NOT NULL")
	}
	if cond, a := terms.Parse(f.Query).Where(SearchColumns...); cond != "" {
		where, args = append(where, cond), append(args, a...)
	}
	cond := strings.Join(where, " AND ")
	if err := idb.NewRaw("SELECT count(*) FROM "+accountFrom+" WHERE "+cond, args...).Scan(ctx, &p.Total); err != nil {
		return p, fmt.Errorf("cloudconnect: count matching accounts: %w", err)
	}
	if err := idb.NewRaw("SELECT "+accountColumns+" FROM "+accountFrom+" WHERE "+cond+`
		ORDER BY (a.job_id IS NOT NULL), lower(a.user_name), a.section, a.repo_name, a.id LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...).Scan(ctx, &p.Rows); err != nil {
		return p, fmt.Errorf("cloudconnect: list accounts: %w", err)
	}
	return p, nil
}

// Get loads one account; db.ErrNotFound when there is none.
func Get(ctx context.Context, idb bun.IDB, id int64) (*Account, error) {
	a := new(Account)
	if err := idb.NewRaw("SELECT "+accountColumns+" FROM "+accountFrom+" WHERE a.id = ?", id).Scan(ctx, a); err != nil {
		return nil, fmt.Errorf("cloudconnect: account %d: %w", id, db.NotFound(err))
	}
	return a, nil
}

// Linked is what linking did.
type Linked struct {
	JobID    int64
	JobLabel string // "Customer / job"
	Runs     int    // runs made or updated from the stored reports
}

// Link links the account to an existing job (not archived, linked to no other
// account) and makes its runs from every stored report at once. Field errors come on
// "job_id".
func Link(ctx context.Context, bdb *bun.DB, actor audit.Actor, accountID, jobID int64) (Linked, error) {
	var out Linked
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = link(ctx, tx, actor, accountID, jobID, ActionLinked)
		return err
	})
	return out, err
}

func link(ctx context.Context, tx bun.Tx, actor audit.Actor, accountID, jobID int64, action string) (Linked, error) {
	var out Linked
	acc, err := lockAccount(ctx, tx, accountID)
	if err != nil {
		return out, err
	}
	if jobID == 0 {
		return out, validation.Errors{"job_id": "pick the job to link this account to"}
	}
	var job struct {
		Label    string     `bun:"label"`
		Archived *time.Time `bun:"archived_at"`
		Other    string     `bun:"other"`
	}
	err = tx.NewRaw(`SELECT c.name || ' / ' || j.job_name AS label, j.archived_at,
			coalesce((SELECT o.user_name || ' / ' || o.section || ' / ' || o.repo_name FROM cloud_connect_accounts o
			          WHERE o.job_id = j.id AND o.id <> ?), '') AS other
		FROM jobs j JOIN customers c ON c.id = j.customer_id WHERE j.id = ? FOR UPDATE OF j`, accountID, jobID).Scan(ctx, &job)
	switch {
	case errors.Is(db.NotFound(err), db.ErrNotFound):
		return out, validation.Errors{"job_id": "this job no longer exists; pick another"}
	case err != nil:
		return out, fmt.Errorf("cloudconnect: job %d: %w", jobID, err)
	case job.Archived != nil:
		return out, validation.Errors{"job_id": "this job is archived; pick an active job"}
	case job.Other != "":
		return out, validation.Errors{"job_id": fmt.Sprintf("this job is linked to the account %s already; unlink that one first", strings.TrimSuffix(job.Other, " / "))}
	}
	if acc.JobID != nil && *acc.JobID == jobID {
		return out, validation.Errors{"job_id": "the account is linked to this job already"}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE cloud_connect_accounts SET job_id = ?, updated_at = now() WHERE id = ?", jobID, accountID); err != nil {
		var pg *pgconn.PgError
		if errors.As(err, &pg) && pg.Code == "23505" {
			return out, validation.Errors{"job_id": "this job was linked to another account a moment ago; pick another"}
		}
		return out, fmt.Errorf("cloudconnect: link account %d: %w", accountID, err)
	}
	n, err := makeRuns(ctx, tx, "r.account_id = ?", accountID)
	if err != nil {
		return out, err
	}
	out = Linked{JobID: jobID, JobLabel: job.Label, Runs: n}
	details := map[string]any{"job": job.Label, "runs": n}
	if acc.JobID != nil {
		details["previous_job_id"] = *acc.JobID
	}
	return out, audit.Record(ctx, tx, actor, action, accountTarget(acc), details)
}

// Unlink takes the account off its job; the job keeps its runs, and the account's
// next reports make none until it is linked again.
func Unlink(ctx context.Context, bdb *bun.DB, actor audit.Actor, accountID int64) error {
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		acc, err := lockAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if acc.JobID == nil {
			return validation.Errors{"form": "this account is not linked"}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE cloud_connect_accounts SET job_id = NULL, updated_at = now() WHERE id = ?", accountID); err != nil {
			return fmt.Errorf("cloudconnect: unlink account %d: %w", accountID, err)
		}
		return audit.Record(ctx, tx, actor, ActionUnlinked, accountTarget(acc), map[string]any{"job_id": *acc.JobID})
	})
}

// NewJob is the Create job form: the customer (an existing one by id, or a new one by
// name) and the job's name.
type NewJob struct {
	CustomerID      int64
	NewCustomerName string
	JobName         string
}

// CreateJob creates a job for the account (software Veeam Cloud Connect, type its
// section) for a customer, creating the customer when new, links the account to it and
// makes its runs from the stored reports. Field errors come on customer_name,
// customer_id and job_name, all at once.
func CreateJob(ctx context.Context, bdb *bun.DB, actor audit.Actor, accountID int64, in NewJob) (Linked, error) {
	var out Linked
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		acc, err := lockAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if acc.JobID != nil {
			return validation.Errors{"form": "this account was linked to a job a moment ago; unlink it first"}
		}
		errs := validation.Errors{}
		name := strings.TrimSpace(in.JobName)
		switch {
		case name == "":
			errs.Add("job_name", "name the job")
		case utf8.RuneCountInString(name) > jobs.MaxJobName:
			errs.Add("job_name", fmt.Sprintf("use at most %d characters", jobs.MaxJobName))
		}
		if in.CustomerID == 0 && strings.TrimSpace(in.NewCustomerName) == "" {
			errs.Add("customer_name", "type a customer's name and pick it, or create a new customer")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		var cust *db.Customer
		if in.CustomerID != 0 {
			if cust, err = customers.Get(ctx, tx, in.CustomerID); errors.Is(err, db.ErrNotFound) {
				return validation.Errors{"customer_id": "this customer no longer exists; pick another"}
			} else if err != nil {
				return err
			}
		} else if cust, err = customers.Create(ctx, tx, actor, in.NewCustomerName); err != nil {
			return err
		}
		job := &db.Job{CustomerID: cust.ID, JobName: name, BackupSoftware: Software, BackupType: acc.Section, Active: true}
		if _, err := tx.NewInsert().Model(job).Column("customer_id", "job_name", "backup_software", "backup_type", "active").
			Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("cloudconnect: create job: %w", err)
		}
		out, err = link(ctx, tx, actor, accountID, job.ID, ActionJobCreated)
		return err
	})
	return out, err
}

// account is the locked account row of Link, Unlink and CreateJob.
type account struct {
	ID       int64  `bun:"id"`
	User     string `bun:"user_name"`
	Section  string `bun:"section"`
	RepoName string `bun:"repo_name"`
	JobID    *int64 `bun:"job_id"`
}

func lockAccount(ctx context.Context, tx bun.IDB, id int64) (*account, error) {
	a := new(account)
	if err := tx.NewRaw("SELECT id, user_name, section, repo_name, job_id FROM cloud_connect_accounts WHERE id = ? FOR UPDATE", id).Scan(ctx, a); err != nil {
		return nil, fmt.Errorf("cloudconnect: account %d: %w", id, db.NotFound(err))
	}
	return a, nil
}

func accountTarget(a *account) string {
	return fmt.Sprintf("cloud_connect_account:%d %s / %s / %s", a.ID, a.User, a.Section, a.RepoName)
}
