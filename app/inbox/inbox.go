// Package inbox is the Inbox: mails that belong to no job yet, their approval into a
// new job, soft deletion, restore and permanent deletion.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Row is one mail in the Inbox (or Deleted mails) list.
type Row struct {
	ID         int64      `bun:"id"`
	From       string     `bun:"from_address"`
	Subject    string     `bun:"subject"`
	ReceivedAt time.Time  `bun:"received_at"`
	Software   string     `bun:"parsed_backup_software"`
	Type       string     `bun:"parsed_backup_type"`
	JobName    string     `bun:"parsed_job_name"`
	Status     string     `bun:"parsed_status"`
	Parser     string     `bun:"parser_name"`
	ParseError string     `bun:"parse_error"`
	Size       int64      `bun:"size"`
	DeletedAt  *time.Time `bun:"deleted_at"`
}

// Parsed reports whether a parser produced a result for the mail.
func (r Row) Parsed() bool { return r.Status != "" }

// Page is one page of a mail list.
type Page struct {
	Rows    []Row
	Total   int
	Page    int
	PerPage int
}

// SearchColumns are what an Inbox search (the page's q and the global search) looks
// in: the mail's sender, subject and what its parser read.
var SearchColumns = []string{"from_address", "subject", "parsed_job_name", "parsed_backup_software", "parsed_backup_type"}

// List returns page (1-based) of unlinked mails at location (inbox or deleted), newest
// first, served by the (location, received_at DESC, id DESC) index.
func List(ctx context.Context, idb bun.IDB, location string, page, perPage int) (Page, error) {
	return Search(ctx, idb, location, "", page, perPage)
}

// Search is List of the mails that match query (search terms, app/search/terms, over
// SearchColumns; "" for all).
func Search(ctx context.Context, idb bun.IDB, location, query string, page, perPage int) (Page, error) {
	if page < 1 {
		page = 1
	}
	p := Page{Page: page, PerPage: perPage}
	where, args := "location = ? AND job_id IS NULL", []any{location}
	if cond, condArgs := terms.Parse(query).Where(SearchColumns...); cond != "" {
		where, args = where+" AND "+cond, append(args, condArgs...)
	}
	var total int
	if err := idb.NewRaw("SELECT count(*) FROM mail_messages WHERE "+where, args...).Scan(ctx, &total); err != nil {
		return p, fmt.Errorf("inbox: count: %w", err)
	}
	p.Total = total
	err := idb.NewRaw(`
		SELECT id, coalesce(from_address, '') AS from_address, coalesce(subject, '') AS subject, received_at,
		       coalesce(parsed_backup_software, '') AS parsed_backup_software,
		       coalesce(parsed_backup_type, '') AS parsed_backup_type,
		       coalesce(parsed_job_name, '') AS parsed_job_name,
		       coalesce(parsed_status, '') AS parsed_status,
		       coalesce(parser_name, '') AS parser_name, coalesce(parse_error, '') AS parse_error,
		       size, deleted_at
		FROM mail_messages
		WHERE `+where+`
		ORDER BY received_at DESC, id DESC
		LIMIT ? OFFSET ?`, append(args, perPage, (page-1)*perPage)...).Scan(ctx, &p.Rows)
	if err != nil {
		return p, fmt.Errorf("inbox: list: %w", err)
	}
	return p, nil
}

// Detail is one mail with its parsed objects and what approving it would do.
type Detail struct {
	Mail        db.MailMessage
	Objects     []db.MailObject
	ExistingJob *db.Job // the job this mail's reports belong to already (matching key or match rule)
}

// NeedsJobName reports whether the mail's parser read a status but no job name (the
// generic parser, for a product no parser knows): approving it names the job and
// stores a match rule (sender and subject pattern) by which its later mails are known.
func (d *Detail) NeedsJobName() bool {
	return d.Mail.ParsedStatus != nil && (d.Mail.ParsedJobName == nil || *d.Mail.ParsedJobName == "")
}

// Approvable says why the mail cannot be approved, or "" when it can.
func (d *Detail) Approvable() string {
	m := d.Mail
	switch {
	case m.Location != db.LocationInbox || m.JobID != nil:
		return "this mail is not in the Inbox"
	case m.ParsedStatus == nil:
		return "no parser could read this mail, so there is no job to create"
	case m.ParserName != nil && ingest.IsAccountReport(*m.ParserName):
		return "this mail is a report on many accounts (Veeam Cloud Connect); each account is linked to a job of its own under Cloud Connect → Accounts"
	case m.FromAddress == nil || *m.FromAddress == "":
		return "this mail has no sender address to recognise its job by"
	case d.NeedsJobName() && (m.Subject == nil || *m.Subject == ""):
		return "this mail has neither a job name nor a subject to recognise its job by"
	}
	return ""
}

// existingJob finds the job the mail's reports belong to: by the matching key when
// the parser named the job, else by a match rule (the longest pattern that matches).
// nil when there is none.
func existingJob(ctx context.Context, idb bun.IDB, d *Detail, forUpdate bool) (*db.Job, error) {
	m := d.Mail
	job := new(db.Job)
	q := idb.NewSelect().Model(job)
	if d.NeedsJobName() {
		q = q.Where("id = (SELECT r.job_id FROM job_match_rules r WHERE r.from_address = ? AND ? ILIKE subject_pattern_like(r.subject_pattern) ORDER BY length(r.subject_pattern) DESC, r.id LIMIT 1)",
			*m.FromAddress, *m.Subject)
	} else {
		q = q.Where("from_address = ? AND backup_software = ? AND backup_type = ? AND job_name = ?",
			*m.FromAddress, str(m.ParsedBackupSoftware), str(m.ParsedBackupType), str(m.ParsedJobName))
	}
	if forUpdate {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	switch {
	case err == nil:
		return job, nil
	case errors.Is(db.NotFound(err), db.ErrNotFound):
		return nil, nil
	}
	return nil, fmt.Errorf("inbox: job of mail %d: %w", m.ID, err)
}

// Get loads a mail (without its raw MIME) with its objects.
func Get(ctx context.Context, idb bun.IDB, id int64) (*Detail, error) {
	d := &Detail{}
	if err := idb.NewSelect().Model(&d.Mail).ExcludeColumn("raw_mime").Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("inbox: get mail %d: %w", id, db.NotFound(err))
	}
	if err := idb.NewSelect().Model(&d.Objects).Where("mail_message_id = ?", id).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("inbox: objects of mail %d: %w", id, err)
	}
	if d.Approvable() == "" {
		job, err := existingJob(ctx, idb, d, false)
		if err != nil {
			return nil, err
		}
		d.ExistingJob = job
	}
	return d, nil
}

// Raw returns a mail's stored MIME and subject (for "Download .eml").
func Raw(ctx context.Context, idb bun.IDB, id int64) ([]byte, string, error) {
	var m db.MailMessage
	if err := idb.NewSelect().Model(&m).Column("raw_mime", "subject").Where("id = ?", id).Scan(ctx); err != nil {
		return nil, "", fmt.Errorf("inbox: raw mail %d: %w", id, db.NotFound(err))
	}
	subject := ""
	if m.Subject != nil {
		subject = *m.Subject
	}
	return m.RawMIME, subject, nil
}

// HTMLBody returns a mail's stored HTML body ("" when it has none).
func HTMLBody(ctx context.Context, idb bun.IDB, id int64) (string, error) {
	var m db.MailMessage
	if err := idb.NewSelect().Model(&m).Column("html_body").Where("id = ?", id).Scan(ctx); err != nil {
		return "", fmt.Errorf("inbox: html body of mail %d: %w", id, db.NotFound(err))
	}
	if m.HTMLBody == nil {
		return "", nil
	}
	return *m.HTMLBody, nil
}

// InlinePart returns the inline part of a mail with the given Content-ID (without angle
// brackets), as extracted at import; db.ErrNotFound if the mail has none by that id. A
// mail imported before parts were kept at import has them extracted first, once.
func InlinePart(ctx context.Context, idb bun.IDB, mailID int64, contentID string) (*db.MailInlinePart, error) {
	contentID = strings.Trim(contentID, "<>")
	if contentID == "" || !utf8.ValidString(contentID) || strings.ContainsRune(contentID, 0) {
		return nil, fmt.Errorf("inbox: inline part %q of mail %d: %w", contentID, mailID, db.ErrNotFound)
	}
	find := func() (*db.MailInlinePart, error) {
		p := new(db.MailInlinePart)
		err := idb.NewSelect().Model(p).Where("mail_message_id = ? AND content_id = ?", mailID, contentID).Scan(ctx)
		return p, db.NotFound(err)
	}
	p, err := find()
	if errors.Is(err, db.ErrNotFound) {
		// Not there: perhaps the mail predates extraction at import.
		var pending bool
		if err := idb.NewRaw("SELECT inline_parts_at IS NULL FROM mail_messages WHERE id = ?", mailID).Scan(ctx, &pending); err != nil {
			return nil, fmt.Errorf("inbox: inline part %q of mail %d: %w", contentID, mailID, db.NotFound(err))
		}
		if pending {
			if err := ingest.BackfillInlineParts(ctx, idb, mailID); err != nil {
				return nil, err
			}
		}
		// Again: extracted now, here or by a request that finished in between.
		p, err = find()
	}
	if err != nil {
		return nil, fmt.Errorf("inbox: inline part %q of mail %d: %w", contentID, mailID, err)
	}
	return p, nil
}

// Approval names the customer a mail's new job belongs to: an existing one by id, or a
// new one by name. A mail whose parser read no job name (Detail.NeedsJobName) also
// names the job and the subject pattern its mails are recognised by.
type Approval struct {
	MailID          int64
	CustomerID      int64
	NewCustomerName string
	JobName         string
	SubjectPattern  string
}

// Approved is what approving did.
type Approved struct {
	JobID      int64
	JobCreated bool
	Customer   string
	Processed  int // mails turned into runs, this one included (unless it was a copy)
	Copies     int // mails that were copies of reports already runs of the job
}

// Approve creates the mail's job for the customer (or finds it, when another mail of
// the same job was approved meanwhile), turns this mail into its first run and
// processes every other Inbox mail of the same job at once. For a mail no parser
// knows, the job gets the approver's name and a match rule (the mail's sender and
// the subject pattern), and the Inbox mails that rule matches become its runs. Field
// errors come back as validation.Errors on customer_name, customer_id, job_name and
// subject_pattern, all at once.
func Approve(ctx context.Context, bdb *bun.DB, actor audit.Actor, a Approval) (Approved, error) {
	var out Approved
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Approvals of one job's mails take turns, so that a second one joins the job the
		// first created instead of failing on the matching key. The turn is taken before
		// the mail's row lock: the first approval also processes (and so locks) the job's
		// other Inbox mails, this one perhaps among them.
		if _, err := tx.ExecContext(ctx, `
			SELECT pg_advisory_xact_lock(hashtextextended(concat_ws(chr(31), 'approve', from_address,
			       parsed_backup_software, parsed_backup_type, parsed_job_name), 0))
			FROM mail_messages WHERE id = ?`, a.MailID); err != nil {
			return fmt.Errorf("wait for other approvals of the job: %w", err)
		}
		d := &Detail{}
		if err := tx.NewSelect().Model(&d.Mail).ExcludeColumn("raw_mime").Where("id = ?", a.MailID).For("UPDATE").Scan(ctx); err != nil {
			return db.NotFound(err)
		}
		if d.Mail.JobID != nil {
			// Typically processed by an approval of another mail of its job a moment ago.
			j, err := jobs.Get(ctx, tx, *d.Mail.JobID)
			if err != nil {
				return err
			}
			return validation.Errors{"form": fmt.Sprintf("this mail is already a run of %s's job (approved with another mail of that job)", j.CustomerName)}
		}
		if why := d.Approvable(); why != "" {
			return validation.Errors{"form": why}
		}
		m := d.Mail
		job, err := existingJob(ctx, tx, d, true)
		if err != nil {
			return err
		}
		var rule map[string]string
		if job != nil {
			// Another mail of this job was approved meanwhile: add to it, whatever customer was picked.
			cust, err := customers.Get(ctx, tx, job.CustomerID)
			if err != nil {
				return err
			}
			out.Customer = cust.Name
		} else {
			job = &db.Job{CustomerID: a.CustomerID, JobName: str(m.ParsedJobName), BackupSoftware: str(m.ParsedBackupSoftware),
				BackupType: str(m.ParsedBackupType), FromAddress: m.FromAddress, Active: true, Informational: m.ParsedInformational}
			errs := validation.Errors{}
			if a.CustomerID == 0 && strings.TrimSpace(a.NewCustomerName) == "" {
				errs.Add("customer_name", "type a customer's name and pick it, or create a new customer")
			}
			if d.NeedsJobName() {
				job.JobName = strings.TrimSpace(a.JobName)
				if err := checkNaming(ctx, tx, d, job, a.SubjectPattern, errs); err != nil {
					return err
				}
				rule = map[string]string{"from_address": *m.FromAddress, "subject_pattern": strings.TrimSpace(a.SubjectPattern)}
			}
			if err := errs.Err(); err != nil {
				return err
			}
			var cust *db.Customer
			if a.CustomerID != 0 {
				if cust, err = customers.Get(ctx, tx, a.CustomerID); errors.Is(err, db.ErrNotFound) {
					return validation.Errors{"customer_id": "this customer no longer exists; pick another"}
				} else if err != nil {
					return err
				}
			} else if cust, err = customers.Create(ctx, tx, actor, a.NewCustomerName); err != nil {
				return err
			}
			out.Customer = cust.Name
			job.CustomerID = cust.ID
			if _, err := tx.NewInsert().Model(job).Column("customer_id", "job_name", "backup_software", "backup_type",
				"from_address", "active", "informational").Returning("id").Exec(ctx); err != nil {
				return fmt.Errorf("create job: %w", err)
			}
			if rule != nil {
				if err := jobs.SaveMatchRule(ctx, tx, job.ID, rule["from_address"], rule["subject_pattern"]); err != nil {
					return err
				}
			}
			out.JobCreated = true
		}
		out.JobID = job.ID

		// The job's other mails: of its matching key, or (a match rule) any waiting mail
		// of the sender, which processing matches by the rules.
		q := tx.NewSelect().Model((*db.MailMessage)(nil)).Column("id").
			Where("location = 'inbox' AND job_id IS NULL AND from_address = ?", *m.FromAddress)
		if !d.NeedsJobName() {
			q = q.Where("parsed_backup_software = ? AND parsed_backup_type = ? AND parsed_job_name = ?",
				job.BackupSoftware, job.BackupType, job.JobName)
		}
		var ids []int64
		if err := q.Scan(ctx, &ids); err != nil {
			return fmt.Errorf("find the job's other mails: %w", err)
		}
		processed, err := ingest.ProcessMails(ctx, tx, ids)
		if err != nil {
			return err
		}
		done := false
		for _, p := range processed {
			if p.JobID != job.ID {
				continue // a mail of another known job of the sender
			}
			if p.Duplicate {
				out.Copies++
			} else {
				out.Processed++
			}
			done = done || p.MailID == a.MailID
		}
		if !done {
			return errors.New("approve: the mail did not become a run (is the job archived?)")
		}
		if err := live.Notify(ctx, tx, live.Event{Topic: live.TopicInbox, IDs: ids}); err != nil {
			return err
		}
		details := map[string]any{"customer": out.Customer, "job_id": job.ID, "job_name": job.JobName,
			"job_created": out.JobCreated, "runs": out.Processed, "copies": out.Copies}
		if rule != nil {
			details["match_rule"] = rule
		}
		return audit.Record(ctx, tx, actor, "mail.approved", fmt.Sprintf("mail:%d", a.MailID), details)
	})
	if err != nil {
		return out, fmt.Errorf("inbox: approve mail %d: %w", a.MailID, err)
	}
	return out, nil
}

// checkNaming adds to errs what is wrong with the name and subject pattern an approver
// gave a mail no parser knows: a job name, a pattern that matches this mail, and no
// other job of the sender with that name (the matching key is unique).
func checkNaming(ctx context.Context, tx bun.IDB, d *Detail, job *db.Job, pattern string, errs validation.Errors) error {
	if msg := jobs.ValidateJobName(job.JobName); msg != "" {
		errs.Add("job_name", msg)
	}
	ruleErrs, err := jobs.CheckMatchRule(ctx, tx, *d.Mail.FromAddress, pattern, *d.Mail.Subject)
	if err != nil {
		return err
	}
	for field, msg := range ruleErrs {
		if field == "from_address" {
			field = "form" // the mail's own sender: not in the form
			msg = "the sender's address of this mail cannot be used to recognise its job"
		}
		errs.Add(field, msg)
	}
	if errs["job_name"] == "" {
		var taken string
		err := tx.NewRaw(`SELECT c.name FROM jobs j JOIN customers c ON c.id = j.customer_id
			WHERE j.from_address = ? AND j.backup_software = ? AND j.backup_type = ? AND j.job_name = ?`,
			job.FromAddress, job.BackupSoftware, job.BackupType, job.JobName).Scan(ctx, &taken)
		switch {
		case err == nil:
			errs.Add("job_name", fmt.Sprintf("%s already has a job of this sender by this name; choose another name", taken))
		case !errors.Is(db.NotFound(err), db.ErrNotFound):
			return fmt.Errorf("check the job name: %w", err)
		}
	}
	return nil
}

// Delete soft-deletes Inbox mails (they move to Deleted mails). Returns how many moved.
func Delete(ctx context.Context, idb bun.IDB, actor audit.Actor, ids []int64, now time.Time) (int, error) {
	return move(ctx, idb, actor, ids, "mail.deleted", `
		UPDATE mail_messages SET location = 'deleted', deleted_at = ?, deleted_by = ?, updated_at = now()
		WHERE id IN (?) AND location = 'inbox' AND job_id IS NULL`, now, nullID(actor.ID), bun.In(ids))
}

// Restore puts soft-deleted mails back into the Inbox.
func Restore(ctx context.Context, idb bun.IDB, actor audit.Actor, ids []int64) (int, error) {
	return move(ctx, idb, actor, ids, "mail.restored", `
		UPDATE mail_messages SET location = 'inbox', deleted_at = NULL, deleted_by = NULL, updated_at = now()
		WHERE id IN (?) AND location = 'deleted'`, bun.In(ids))
}

// Purge deletes mails for good; only mails already soft-deleted can be purged.
func Purge(ctx context.Context, idb bun.IDB, actor audit.Actor, ids []int64) (int, error) {
	return move(ctx, idb, actor, ids, "mail.purged", `
		DELETE FROM mail_messages WHERE id IN (?) AND location = 'deleted'`, bun.In(ids))
}

func move(ctx context.Context, idb bun.IDB, actor audit.Actor, ids []int64, action, query string, args ...any) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := idb.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("inbox: %s: %w", action, err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return 0, nil
	}
	if err := live.Notify(ctx, idb, live.Event{Topic: live.TopicInbox, IDs: ids}); err != nil {
		return 0, err
	}
	if err := audit.Record(ctx, idb, actor, action, "", map[string]any{"mail_ids": ids, "count": n}); err != nil {
		return 0, err
	}
	return int(n), nil
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
