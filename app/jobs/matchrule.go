package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Limits of a match rule as typed.
const (
	MaxJobName        = 200
	MaxSubjectPattern = 500
)

// Matching says how a job's mails are recognised: by a match rule (a product no
// parser knows), or by the matching key its parser reads (sender and job name).
type Matching struct {
	Rule        *db.JobMatchRule // nil when the job's mails are recognised by their parser
	FromAddress string           // the job's sender ("" for integration jobs)
}

// GetMatching returns how the job's mails are recognised.
func GetMatching(ctx context.Context, idb bun.IDB, jobID int64) (Matching, error) {
	var out Matching
	var from *string
	if err := idb.NewSelect().Model((*db.Job)(nil)).Column("from_address").Where("id = ?", jobID).Scan(ctx, &from); err != nil {
		return out, fmt.Errorf("jobs: matching of %d: %w", jobID, db.NotFound(err))
	}
	if from != nil {
		out.FromAddress = *from
	}
	rule := new(db.JobMatchRule)
	err := idb.NewSelect().Model(rule).Where("job_id = ?", jobID).Scan(ctx)
	switch {
	case err == nil:
		out.Rule = rule
	case !errors.Is(db.NotFound(err), db.ErrNotFound):
		return out, fmt.Errorf("jobs: match rule of %d: %w", jobID, err)
	}
	return out, nil
}

// ValidateJobName returns a user-facing message when name cannot name a job.
func ValidateJobName(name string) string {
	switch n := strings.TrimSpace(name); {
	case n == "":
		return "name the job: the mails of this product carry no job name"
	case utf8.RuneCountInString(n) > MaxJobName:
		return fmt.Sprintf("use at most %d characters", MaxJobName)
	}
	return ""
}

// CheckMatchRule returns field errors ("from_address", "subject_pattern") for a rule as
// typed. When subject is not empty the pattern must match it (the mail the rule is
// made from), as processing matches: by the database's ILIKE (subject_pattern_like).
func CheckMatchRule(ctx context.Context, idb bun.IDB, from, pattern, subject string) (validation.Errors, error) {
	errs := validation.Errors{}
	from, pattern = strings.TrimSpace(from), strings.TrimSpace(pattern)
	if a, err := mail.ParseAddress(from); err != nil || a.Address != from || a.Name != "" {
		errs.Add("from_address", "enter the sender's address, such as backup@example.com")
	}
	switch {
	case strings.Trim(pattern, "* ") == "":
		errs.Add("subject_pattern", "keep some words of the subject: a pattern of * alone would take every unrecognised mail of this sender")
	case utf8.RuneCountInString(pattern) > MaxSubjectPattern:
		errs.Add("subject_pattern", fmt.Sprintf("use at most %d characters", MaxSubjectPattern))
	case subject != "":
		var ok bool
		if err := idb.NewRaw("SELECT ? ILIKE subject_pattern_like(?)", subject, pattern).Scan(ctx, &ok); err != nil {
			return nil, fmt.Errorf("jobs: match subject: %w", err)
		}
		if !ok {
			errs.Add("subject_pattern", "this pattern does not match the mail's subject; * stands for any text, the rest must be as in the subject")
		}
	}
	return errs, nil
}

// SaveMatchRule stores the job's match rule (creating or replacing it), in the
// caller's transaction. The values are expected checked (CheckMatchRule).
func SaveMatchRule(ctx context.Context, idb bun.IDB, jobID int64, from, pattern string) error {
	rule := &db.JobMatchRule{JobID: jobID, FromAddress: strings.ToLower(strings.TrimSpace(from)), SubjectPattern: strings.TrimSpace(pattern)}
	if _, err := idb.NewInsert().Model(rule).Column("job_id", "from_address", "subject_pattern").
		On("CONFLICT (job_id) DO UPDATE").
		Set("from_address = EXCLUDED.from_address, subject_pattern = EXCLUDED.subject_pattern, updated_at = now()").
		Exec(ctx); err != nil {
		return fmt.Errorf("jobs: save match rule of %d: %w", jobID, err)
	}
	return nil
}

// SetMatchRule changes a job's match rule (Job Details): checks it, stores it, records
// it in the audit log and processes the Inbox mails of the sender it now matches.
// Returns how many of them became runs of the job. Only a job made from a mail no
// parser knows has a rule to change.
func SetMatchRule(ctx context.Context, bdb *bun.DB, actor audit.Actor, jobID int64, from, pattern string) (int, error) {
	var runs int
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old := new(db.JobMatchRule)
		if err := tx.NewSelect().Model(old).Where("job_id = ?", jobID).For("UPDATE").Scan(ctx); err != nil {
			return db.NotFound(err)
		}
		errs, err := CheckMatchRule(ctx, tx, from, pattern, "")
		if err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if err := SaveMatchRule(ctx, tx, jobID, from, pattern); err != nil {
			return err
		}
		var ids []int64
		if err := tx.NewSelect().Model((*db.MailMessage)(nil)).Column("id").
			Where("location = 'inbox' AND job_id IS NULL AND from_address = ?", strings.ToLower(strings.TrimSpace(from))).
			Scan(ctx, &ids); err != nil {
			return fmt.Errorf("find waiting mails: %w", err)
		}
		processed, err := ingest.ProcessMails(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, p := range processed {
			if p.JobID == jobID && !p.Duplicate {
				runs++
			}
		}
		if len(processed) > 0 {
			if err := live.Notify(ctx, tx, live.Event{Topic: live.TopicInbox, IDs: ids}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "job.match_rule_set", fmt.Sprintf("job:%d", jobID), map[string]any{
			"from_address": strings.ToLower(strings.TrimSpace(from)), "subject_pattern": strings.TrimSpace(pattern),
			"was": map[string]string{"from_address": old.FromAddress, "subject_pattern": old.SubjectPattern}, "runs": runs})
	})
	if err != nil {
		return 0, fmt.Errorf("jobs: set match rule of %d: %w", jobID, err)
	}
	return runs, nil
}
