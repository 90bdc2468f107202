package cove

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// AccountRow is an account as the accounts page shows it.
type AccountRow struct {
	AccountID     int64      `bun:"account_id"`
	Name          string     `bun:"account_name"`
	Computer      string     `bun:"computer_name"`
	Customer      string     `bun:"partner_name"`
	DataSources   string     `bun:"data_sources"`
	BackupType    string     `bun:"backup_type"`
	LastStatus    string     `bun:"last_status"` // Cove's code
	LastSessionAt *time.Time `bun:"last_session_at"`
	ColorBar      string     `bun:"colorbar"`
	FirstSeenAt   time.Time  `bun:"first_seen_at"`
	LastSeenAt    time.Time  `bun:"last_seen_at"`
	// The linked job, if any.
	JobID        *int64 `bun:"job_id"`
	JobName      string `bun:"job_name"`
	JobCustomer  string `bun:"job_customer"`
	JobArchived  bool   `bun:"job_archived"`
	CustomerID   *int64 `bun:"customer_id"`   // the existing customer named like Customer, for Create job
	CustomerName string `bun:"customer_name"` // its name as stored
}

// Status is the account's last session as a run status and a label.
func (r AccountRow) Status() (status, label string) {
	if r.LastStatus == "" && r.LastSessionAt == nil {
		return "", "no session yet"
	}
	return MapStatus(r.LastStatus)
}

// SuggestedJobName is the name a job for the account gets: the account (device) name,
// else the computer name.
func (r AccountRow) SuggestedJobName() string {
	if n := strings.TrimSpace(r.Name); n != "" {
		return n
	}
	return strings.TrimSpace(r.Computer)
}

// AccountFilter selects a page of accounts.
type AccountFilter struct {
	Query   string // search terms (app/search/terms) over SearchColumns
	Show    string // "" all, "unmatched", "matched"
	Page    int
	PerPage int
}

// AccountPage is one page of accounts and the counts the page shows.
type AccountPage struct {
	Rows      []AccountRow
	Total     int // matching the filter
	Unmatched int // of all accounts, not linked to a job
	All       int
}

const accountColumns = `
	a.account_id, coalesce(a.account_name, '') AS account_name, coalesce(a.computer_name, '') AS computer_name,
	coalesce(a.partner_name, '') AS partner_name, coalesce(a.data_sources, '') AS data_sources, a.backup_type,
	coalesce(a.last_status, '') AS last_status, a.last_session_at, coalesce(a.colorbar, '') AS colorbar,
	a.first_seen_at, a.last_seen_at,
	j.id AS job_id, coalesce(j.job_name, '') AS job_name, coalesce(jc.name, '') AS job_customer,
	coalesce(j.archived_at IS NOT NULL, false) AS job_archived,
	sc.id AS customer_id, coalesce(sc.name, '') AS customer_name`

const accountJoins = `
	FROM cove_accounts a
	LEFT JOIN jobs j ON j.cove_account_id = a.account_id
	LEFT JOIN customers jc ON jc.id = j.customer_id
	LEFT JOIN customers sc ON a.partner_name IS NOT NULL AND lower(sc.name) = lower(btrim(a.partner_name))`

// SearchColumns are what an accounts search (the page's q and the global search)
// looks in, for accounts a: device, computer and customer name (each with its trigram
// index, migration 0026).
var SearchColumns = []string{"a.account_name", "a.computer_name", "a.partner_name"}

// ListAccounts returns one page of accounts: unmatched ones first, then matched
// ones, each by customer and device name.
func ListAccounts(ctx context.Context, idb bun.IDB, f AccountFilter) (AccountPage, error) {
	var p AccountPage
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 {
		f.PerPage = 50
	}
	where, args := []string{"true"}, []any{}
	if cond, a := terms.Parse(f.Query).Where(SearchColumns...); cond != "" {
		where, args = append(where, cond), append(args, a...)
	}
	switch f.Show {
	case "unmatched":
		where = append(where, "j.id IS NULL")
	case "matched":
		where = append(where, "j.id IS NOT NULL")
	}
	cond := strings.Join(where, " AND ")
	err := idb.NewRaw(`
		SELECT count(*) FILTER (WHERE `+cond+`) AS total,
		       count(*) FILTER (WHERE j.id IS NULL) AS unmatched, count(*) AS total_all
		FROM cove_accounts a LEFT JOIN jobs j ON j.cove_account_id = a.account_id`, args...).Scan(ctx, &p.Total, &p.Unmatched, &p.All)
	if err != nil {
		return p, fmt.Errorf("cove: count accounts: %w", err)
	}
	args = append(args, f.PerPage, (f.Page-1)*f.PerPage)
	err = idb.NewRaw(`SELECT `+accountColumns+accountJoins+`
		WHERE `+cond+`
		ORDER BY (j.id IS NOT NULL), lower(a.partner_name) NULLS LAST, lower(a.account_name) NULLS LAST, a.account_id
		LIMIT ? OFFSET ?`, args...).Scan(ctx, &p.Rows)
	if err != nil {
		return p, fmt.Errorf("cove: list accounts: %w", err)
	}
	return p, nil
}

// GetAccount loads one account by Cove's account id.
func GetAccount(ctx context.Context, idb bun.IDB, accountID int64) (*AccountRow, error) {
	var r AccountRow
	if err := idb.NewRaw(`SELECT `+accountColumns+accountJoins+` WHERE a.account_id = ?`, accountID).Scan(ctx, &r); err != nil {
		return nil, fmt.Errorf("cove: account %d: %w", accountID, db.NotFound(err))
	}
	return &r, nil
}

// BackupTypes are the backup types a Cove job may have.
var BackupTypes = []string{TypeServer, TypeWorkstation, TypeM365}

// NewJob is Create job's form for one account (or, in bulk, for several accounts of
// one customer: then JobName and BackupType are each account's own).
type NewJob struct {
	AccountIDs      []int64
	CustomerID      int64  // an existing customer, or
	NewCustomerName string // a new one
	JobName         string // one account only; "" = the account's suggested name
	BackupType      string // one account only; "" = the account's own type
	// Typed: JobName and BackupType are what a person typed (one account's form): an
	// empty one is an error, not the account's own.
	Typed bool
}

// Created is what CreateJobs did.
type Created struct {
	JobIDs   []int64
	Customer string
	Processed
}

// CreateJobs creates a job for each of the unmatched accounts (customer as chosen,
// backup software Cove Data Protection, the backup type and name given or the
// account's own), links each account to its job and turns their stored statistics
// into runs at once (with the colour bar backfill). One transaction; field errors as
// validation.Errors (customer_name, customer_id, job_name, backup_type, form).
func CreateJobs(ctx context.Context, bdb *bun.DB, actor audit.Actor, in NewJob, opt Options) (Created, error) {
	var out Created
	if len(in.AccountIDs) == 0 {
		return out, validation.Errors{"form": "select at least one account"}
	}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		accounts, err := lockAccounts(ctx, tx, in.AccountIDs)
		if err != nil {
			return err
		}
		errs := validation.Errors{}
		if msg := CheckBulk(accounts); msg != "" {
			errs.Add("form", msg)
		}
		single := len(accounts) == 1
		name, typ := strings.TrimSpace(in.JobName), strings.TrimSpace(in.BackupType)
		if single {
			if name == "" && !in.Typed {
				name = accounts[0].SuggestedJobName()
			}
			if typ == "" && !in.Typed {
				typ = accounts[0].BackupType
			}
			checkJob(errs, name, typ)
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
		out.Customer = cust.Name
		for _, a := range accounts {
			jn, jt := name, typ
			if !single {
				jn, jt = a.SuggestedJobName(), a.BackupType
				if jn == "" {
					jn = fmt.Sprintf("Cove account %d", a.AccountID)
				}
				if jt == "" {
					jt = TypeServer
				}
			}
			var id int64
			if err := tx.NewRaw(`
				INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, cove_account_id, active)
				VALUES (?, ?, ?, ?, ?, true) RETURNING id`, cust.ID, jn, Software, jt, a.AccountID).Scan(ctx, &id); err != nil {
				return fmt.Errorf("create the job of account %d: %w", a.AccountID, err)
			}
			out.JobIDs = append(out.JobIDs, id)
			if err := audit.Record(ctx, tx, actor, ActionJobCreated, fmt.Sprintf("job:%d", id), map[string]any{
				"account_id": a.AccountID, "job_name": jn, "backup_type": jt, "customer": cust.Name}); err != nil {
				return err
			}
		}
		out.Processed, err = ProcessAccounts(ctx, tx, in.AccountIDs, opt)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("cove: create jobs: %w", err)
	}
	return out, nil
}

// CheckBulk says why the accounts cannot have their jobs created together ("" when
// they can): they must all be unlinked and of one Cove customer.
func CheckBulk(accounts []AccountRow) string {
	for _, a := range accounts {
		if a.JobID != nil {
			return fmt.Sprintf("%s is linked to job %s already", accountLabel(a), a.JobName)
		}
	}
	for _, a := range accounts[min(1, len(accounts)):] {
		if !strings.EqualFold(strings.TrimSpace(a.Customer), strings.TrimSpace(accounts[0].Customer)) {
			return fmt.Sprintf("select accounts of one Cove customer: %s is %s's, %s is %s's",
				accountLabel(accounts[0]), orNone(accounts[0].Customer), accountLabel(a), orNone(a.Customer))
		}
	}
	return ""
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "no customer"
	}
	return s
}

func checkJob(errs validation.Errors, name, typ string) {
	switch {
	case name == "":
		errs.Add("job_name", "enter the job's name")
	case utf8.RuneCountInString(name) > 200:
		errs.Add("job_name", "use at most 200 characters")
	}
	ok := false
	for _, t := range BackupTypes {
		ok = ok || t == typ
	}
	if !ok {
		errs.Add("backup_type", "choose Server, Workstation or Microsoft 365")
	}
}

func accountLabel(a AccountRow) string {
	if n := a.SuggestedJobName(); n != "" {
		return fmt.Sprintf("account %s (%d)", n, a.AccountID)
	}
	return fmt.Sprintf("account %d", a.AccountID)
}

// lockAccounts loads the accounts, locked against a concurrent link, or fails when one
// is not known (any more).
func lockAccounts(ctx context.Context, tx bun.Tx, ids []int64) ([]AccountRow, error) {
	if _, err := tx.ExecContext(ctx, "SELECT FROM cove_accounts WHERE account_id IN (?) ORDER BY account_id FOR UPDATE", bun.In(ids)); err != nil {
		return nil, fmt.Errorf("lock accounts: %w", err)
	}
	var rows []AccountRow
	if err := tx.NewRaw(`SELECT `+accountColumns+accountJoins+` WHERE a.account_id IN (?) ORDER BY a.account_id`, bun.In(ids)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("load accounts: %w", err)
	}
	if len(rows) != len(uniq(ids)) {
		return nil, validation.Errors{"form": "an account selected is not in Cove's list any more; reload the page"}
	}
	return rows, nil
}

func uniq(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// Link links an unmatched account to an existing job (not archived, linked to no
// other account) and turns the account's stored statistics into runs of it at once.
// Errors for a person come back as validation.Errors on job_id.
func Link(ctx context.Context, bdb *bun.DB, actor audit.Actor, accountID, jobID int64, opt Options) (Processed, error) {
	var out Processed
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		accounts, err := lockAccounts(ctx, tx, []int64{accountID})
		if err != nil {
			return err
		}
		if a := accounts[0]; a.JobID != nil {
			return validation.Errors{"job_id": fmt.Sprintf("this account is linked to job %s already; unlink it first", a.JobName)}
		}
		var job struct {
			Name     string `bun:"job_name"`
			Customer string `bun:"customer"`
			Archived bool   `bun:"archived"`
			Account  *int64 `bun:"cove_account_id"`
		}
		err = tx.NewRaw(`SELECT j.job_name, c.name AS customer, j.archived_at IS NOT NULL AS archived, j.cove_account_id
			FROM jobs j JOIN customers c ON c.id = j.customer_id WHERE j.id = ? FOR UPDATE OF j`, jobID).Scan(ctx, &job)
		switch {
		case errors.Is(db.NotFound(err), db.ErrNotFound):
			return validation.Errors{"job_id": "this job no longer exists; pick another"}
		case err != nil:
			return err
		case job.Archived:
			return validation.Errors{"job_id": "this job is archived and takes no runs; pick another"}
		case job.Account != nil:
			return validation.Errors{"job_id": fmt.Sprintf("this job is linked to Cove account %d already; pick another", *job.Account)}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE jobs SET cove_account_id = ?, updated_at = now() WHERE id = ?", accountID, jobID); err != nil {
			return fmt.Errorf("link: %w", err)
		}
		if err := audit.Record(ctx, tx, actor, ActionLinked, fmt.Sprintf("job:%d", jobID), map[string]any{
			"account_id": accountID, "job_name": job.Name, "customer": job.Customer}); err != nil {
			return err
		}
		out, err = ProcessAccounts(ctx, tx, []int64{accountID}, opt)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("cove: link account %d to job %d: %w", accountID, jobID, err)
	}
	return out, nil
}

// Unlink takes the account off its job: the job keeps its runs, and the account's
// sessions make no more runs until it is linked again. Returns the job it was linked
// to (0 when it was not linked).
func Unlink(ctx context.Context, bdb *bun.DB, actor audit.Actor, accountID int64) (int64, error) {
	var jobID int64
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		if err := tx.NewRaw("UPDATE jobs SET cove_account_id = NULL, updated_at = now() WHERE cove_account_id = ? RETURNING id",
			accountID).Scan(ctx, &ids); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		jobID = ids[0]
		return audit.Record(ctx, tx, actor, ActionUnlinked, fmt.Sprintf("job:%d", jobID), map[string]any{"account_id": accountID})
	})
	if err != nil {
		return 0, fmt.Errorf("cove: unlink account %d: %w", accountID, err)
	}
	return jobID, nil
}

// JobChoice is a job Link may pick, labelled "Customer / job".
type JobChoice struct {
	ID    int64  `bun:"id"`
	Label string `bun:"label"`
}

// LinkableJobs returns up to limit jobs an account may be linked to (not archived, no
// Cove account yet) whose name or customer contains q, jobs of the customer named
// customer first.
func LinkableJobs(ctx context.Context, idb bun.IDB, q, customer string, limit int) ([]JobChoice, error) {
	var out []JobChoice
	like := db.LikeContains(strings.TrimSpace(q))
	err := idb.NewRaw(`
		SELECT j.id, c.name || ' / ' || j.job_name AS label
		FROM jobs j JOIN customers c ON c.id = j.customer_id
		WHERE j.archived_at IS NULL AND j.cove_account_id IS NULL AND (j.job_name ILIKE ? OR c.name ILIKE ?)
		ORDER BY lower(c.name) = lower(?) DESC, lower(c.name), lower(j.job_name), j.id
		LIMIT ?`, like, like, strings.TrimSpace(customer), limit).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("cove: jobs to link: %w", err)
	}
	return out, nil
}

// JobAccount is the account linked to the job, nil when none is.
func JobAccount(ctx context.Context, idb bun.IDB, jobID int64) (*AccountRow, error) {
	var rows []AccountRow
	if err := idb.NewRaw(`SELECT `+accountColumns+accountJoins+` WHERE j.id = ?`, jobID).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("cove: account of job %d: %w", jobID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// RunKind is what a Cove run is.
type RunKind string

// Kinds of Cove runs, told by their external id.
const (
	RunSession  RunKind = "session"  // an account's session
	RunColorBar RunKind = "colorbar" // a day of the colour bar, backfilled
	RunOffline  RunKind = "offline"  // an offline workstation
)

// RunInfo is what the run dialog shows of a Cove run besides the run itself.
type RunInfo struct {
	Kind       RunKind
	Backfilled bool
	AccountID  int64
	Account    *AccountRow // the account as last imported; nil when no longer known
}

// GetRunInfo reads a Cove run's kind and its account (the one its external id names).
func GetRunInfo(ctx context.Context, idb bun.IDB, runID int64) (RunInfo, error) {
	var r struct {
		ExternalID string `bun:"external_id"`
		Backfilled bool   `bun:"backfilled"`
	}
	if err := idb.NewRaw("SELECT coalesce(external_id, '') AS external_id, backfilled FROM job_runs WHERE id = ?", runID).Scan(ctx, &r); err != nil {
		return RunInfo{}, fmt.Errorf("cove: run %d: %w", runID, db.NotFound(err))
	}
	info := RunInfo{Kind: RunSession, Backfilled: r.Backfilled}
	rest, ok := strings.CutPrefix(r.ExternalID, "cove-")
	if !ok {
		return info, nil
	}
	for _, k := range []RunKind{RunColorBar, RunOffline} {
		if after, ok := strings.CutPrefix(rest, string(k)+"-"); ok {
			info.Kind, rest = k, after
		}
	}
	idText, _, _ := strings.Cut(rest, "-")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return info, nil
	}
	info.AccountID = id
	a, err := GetAccount(ctx, idb, id)
	if err == nil {
		info.Account = a
	} else if !errors.Is(err, db.ErrNotFound) {
		return info, err
	}
	return info, nil
}
