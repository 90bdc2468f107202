package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/db"
)

// DigestListMax bounds each list of a digest; the rest is counted.
const DigestListMax = 25

// BuildDigest is the daily digest sent on the local date today (loc is the UI
// timezone): yesterday's results per customer (counts per status), the runs still to
// review, yesterday's missed runs, the mails of unknown jobs that arrived yesterday,
// and the integrations (mail import, Cove, Autotask) that failed since yesterday
// began, with links into the app. customerIDs limits it to those customers (a user's
// own); empty is all.
func BuildDigest(ctx context.Context, idb bun.IDB, today time.Time, loc *time.Location, baseURL string, customerIDs []int64, now time.Time) (Message, error) {
	y, mo, d := today.Date()
	dayEnd := time.Date(y, mo, d, 0, 0, 0, 0, loc)
	dayStart := time.Date(y, mo, d-1, 0, 0, 0, 0, loc)
	yesterday := dayStart.Format("2006-01-02")
	cust := pgdialect.Array(nonNil(customerIDs))
	m := Message{Kind: KindDigest, Created: now, URL: link(baseURL, "/"),
		Title: "Backupchecks daily digest · " + dayStart.Format("Monday 2 January 2006")}

	// Yesterday's results per customer.
	var per []struct {
		ID      int64 `bun:"id"`
		Name    string
		Success int
		Warning int
		Failed  int
		Missed  int
		Info    int
	}
	if err := idb.NewRaw(`
		SELECT c.id, c.name,
		       count(*) FILTER (WHERE s = 'Success') AS success, count(*) FILTER (WHERE s = 'Warning') AS warning,
		       count(*) FILTER (WHERE s = 'Failed') AS failed, count(*) FILTER (WHERE s = 'Missed') AS missed,
		       count(*) FILTER (WHERE s = 'Info') AS info
		FROM job_runs r CROSS JOIN LATERAL (SELECT coalesce(r.overridden_status, r.status) AS s) st
		JOIN jobs j ON j.id = r.job_id JOIN customers c ON c.id = j.customer_id
		WHERE r.run_at >= ? AND r.run_at < ? AND r.superseded_at IS NULL
		  AND (cardinality(?::bigint[]) = 0 OR c.id = ANY(?::bigint[]))
		GROUP BY c.id, c.name
		ORDER BY count(*) FILTER (WHERE s IN ('Failed', 'Missed')) DESC, lower(c.name)`,
		dayStart, dayEnd, cust, cust).Scan(ctx, &per); err != nil {
		return m, fmt.Errorf("notify: digest results: %w", err)
	}
	results := Section{Title: "Yesterday's results per customer"}
	var tot [5]int
	for i, p := range per {
		tot[0], tot[1], tot[2], tot[3], tot[4] = tot[0]+p.Success, tot[1]+p.Warning, tot[2]+p.Failed, tot[3]+p.Missed, tot[4]+p.Info
		if i >= DigestListMax {
			results.More++
			continue
		}
		results.Lines = append(results.Lines, Line{
			Text: p.Name + ": " + statusCounts(p.Success, p.Warning, p.Failed, p.Missed, p.Info),
			URL:  link(baseURL, fmt.Sprintf("/daily?date=%s&customer_id=%d", yesterday, p.ID))})
	}
	if len(per) == 0 {
		results.Lines = []Line{{Text: "No runs yesterday."}}
	}
	m.Summary = "Yesterday: " + statusCounts(tot[0], tot[1], tot[2], tot[3], tot[4]) + "."

	// Runs still to review (the job summaries Run Checks reads).
	var review struct {
		Runs int
		Jobs int
	}
	if err := idb.NewRaw(`
		SELECT coalesce(sum(j.unreviewed_count), 0) AS runs, count(*) FILTER (WHERE j.unreviewed_count > 0) AS jobs
		FROM jobs j WHERE (cardinality(?::bigint[]) = 0 OR j.customer_id = ANY(?::bigint[]))`, cust, cust).Scan(ctx, &review); err != nil {
		return m, fmt.Errorf("notify: digest review: %w", err)
	}
	toReview := Section{Title: "Still to review"}
	if review.Runs == 0 {
		toReview.Lines = []Line{{Text: "Nothing: every run is reviewed."}}
	} else {
		toReview.Lines = []Line{{Text: fmt.Sprintf("%s of %s waiting in Run Checks", plural(review.Runs, "run", "runs"),
			plural(review.Jobs, "job", "jobs")), URL: link(baseURL, "/runchecks")}}
	}

	// Yesterday's missed runs.
	var missed []struct {
		JobID    int64 `bun:"job_id"`
		Customer string
		Job      string
		RunAt    time.Time `bun:"run_at"`
	}
	if err := idb.NewRaw(`
		SELECT j.id AS job_id, c.name AS customer, j.job_name AS job, r.run_at
		FROM job_runs r JOIN jobs j ON j.id = r.job_id JOIN customers c ON c.id = j.customer_id
		WHERE r.run_at >= ? AND r.run_at < ? AND r.superseded_at IS NULL AND coalesce(r.overridden_status, r.status) = 'Missed'
		  AND (cardinality(?::bigint[]) = 0 OR c.id = ANY(?::bigint[]))
		ORDER BY lower(c.name), lower(j.job_name), r.run_at
		LIMIT ?`, dayStart, dayEnd, cust, cust, DigestListMax+1).Scan(ctx, &missed); err != nil {
		return m, fmt.Errorf("notify: digest missed: %w", err)
	}
	missedSec := Section{Title: "Missed runs yesterday", More: max(tot[3]-min(len(missed), DigestListMax), 0)}
	for i, r := range missed {
		if i == DigestListMax {
			break
		}
		missedSec.Lines = append(missedSec.Lines, Line{Text: fmt.Sprintf("%s · %s · expected %s", r.Customer, r.Job, r.RunAt.In(loc).Format("15:04")),
			URL: link(baseURL, fmt.Sprintf("/jobs/%d", r.JobID))})
	}
	if len(missed) == 0 {
		missedSec.Lines = []Line{{Text: "None."}}
	}

	m.Sections = []Section{results, toReview, missedSec}

	// The Inbox and the integrations are the MSP's, not a customer's: the full digest only.
	if len(customerIDs) == 0 {
		var inbox struct {
			New     int
			Waiting int
		}
		if err := idb.NewRaw(`
			SELECT count(*) FILTER (WHERE received_at >= ? AND received_at < ?) AS new, count(*) AS waiting
			FROM mail_messages WHERE location = 'inbox' AND job_id IS NULL`, dayStart, dayEnd).Scan(ctx, &inbox); err != nil {
			return m, fmt.Errorf("notify: digest inbox: %w", err)
		}
		in := Section{Title: "Inbox"}
		if inbox.Waiting == 0 {
			in.Lines = []Line{{Text: "No mails of unknown jobs."}}
		} else {
			in.Lines = []Line{{Text: fmt.Sprintf("%s of unknown jobs arrived yesterday; %d waiting in the Inbox",
				plural(inbox.New, "new mail", "new mails"), inbox.Waiting), URL: link(baseURL, "/inbox")}}
		}
		integ, err := failedIntegrations(ctx, idb, dayStart, loc, baseURL)
		if err != nil {
			return m, err
		}
		m.Sections = append(m.Sections, in, integ)
	}
	return m, nil
}

// failedIntegrations lists the integrations whose last run since `since` failed.
func failedIntegrations(ctx context.Context, idb bun.IDB, since time.Time, loc *time.Location, baseURL string) (Section, error) {
	var st struct {
		MailAt     *time.Time `bun:"mail_last_import_at"`
		MailResult string     `bun:"mail_last_import_result"`
		CoveAt     *time.Time `bun:"cove_last_import_at"`
		CoveResult string     `bun:"cove_last_import_result"`
		CoveFailed bool       `bun:"cove_last_import_failed"`
		Autotask   int        `bun:"autotask"`
		AutoErr    string     `bun:"autotask_error"`
	}
	// Autotask's sync keeps no result of its own: its River job's errors are the record.
	if err := idb.NewRaw(`
		SELECT s.mail_last_import_at, s.mail_last_import_result, s.cove_last_import_at, s.cove_last_import_result, s.cove_last_import_failed,
		       (SELECT count(*) FROM river_job WHERE kind = 'autotask_sync' AND errors IS NOT NULL
		          AND (errors[array_length(errors, 1)] ->> 'at')::timestamptz >= ?) AS autotask,
		       coalesce((SELECT errors[array_length(errors, 1)] ->> 'error' FROM river_job WHERE kind = 'autotask_sync' AND errors IS NOT NULL
		          AND (errors[array_length(errors, 1)] ->> 'at')::timestamptz >= ? ORDER BY id DESC LIMIT 1), '') AS autotask_error
		FROM system_settings s WHERE s.id = 1`, since, since).Scan(ctx, &st); err != nil {
		return Section{}, fmt.Errorf("notify: digest integrations: %w", err)
	}
	sec := Section{Title: "Integrations"}
	if st.MailAt != nil && !st.MailAt.Before(since) && strings.HasPrefix(st.MailResult, "failed") {
		sec.Lines = append(sec.Lines, Line{Text: "Mail import failed at " + st.MailAt.In(loc).Format("2006-01-02 15:04") + ": " + clip(st.MailResult, 200),
			URL: link(baseURL, "/settings/imports")})
	}
	if st.CoveAt != nil && !st.CoveAt.Before(since) && st.CoveFailed {
		sec.Lines = append(sec.Lines, Line{Text: "Cove import failed at " + st.CoveAt.In(loc).Format("2006-01-02 15:04") + ": " + clip(st.CoveResult, 200),
			URL: link(baseURL, "/settings/integrations")})
	}
	if st.Autotask > 0 {
		sec.Lines = append(sec.Lines, Line{Text: "Autotask sync failed: " + clip(st.AutoErr, 200), URL: link(baseURL, "/settings/integrations")})
	}
	if len(sec.Lines) == 0 {
		sec.Lines = []Line{{Text: "All ran without errors."}}
	}
	return sec, nil
}

func statusCounts(success, warning, failed, missed, info int) string {
	var parts []string
	for _, p := range []struct {
		n    int
		name string
	}{{failed, "Failed"}, {missed, "Missed"}, {warning, "Warning"}, {success, "Success"}, {info, "Info"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	if len(parts) == 0 {
		return "no runs"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// PlanDigests makes today's digest deliveries whose time (local, loc) has come: each
// enabled channel with a digest time, each user subscribed to it (their customers'
// digest when their alert subscription names customers). A target gets one digest a
// day however often this runs. It returns the new deliveries' ids.
func PlanDigests(ctx context.Context, bdb *bun.DB, now time.Time, loc *time.Location, baseURL string) ([]int64, error) {
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	clock := local.Format("15:04:05")
	var due []struct {
		ChannelID   *int64  `bun:"channel_id"`
		UserID      *int64  `bun:"user_id"`
		Target      string  `bun:"target"`
		CustomerIDs []int64 `bun:"customer_ids,array"`
	}
	if err := bdb.NewRaw(`
		SELECT c.id AS channel_id, NULL::bigint AS user_id, c.name AS target, '{}'::bigint[] AS customer_ids
		FROM notify_channels c
		WHERE c.enabled AND c.digest_time IS NOT NULL AND c.digest_time <= ?::time
		  AND NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.kind = 'digest' AND d.channel_id = c.id AND d.digest_date = ?)
		UNION ALL
		SELECT NULL, u.id, u.email, coalesce(r.customer_ids, '{}')
		FROM notify_digest_subscriptions s JOIN users u ON u.id = s.user_id
		LEFT JOIN notify_rules r ON r.user_id = u.id
		WHERE u.is_active AND btrim(u.email) <> '' AND s.digest_time <= ?::time
		  AND NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.kind = 'digest' AND d.user_id = u.id AND d.digest_date = ?)
		ORDER BY 1, 2`, clock, today, clock, today).Scan(ctx, &due); err != nil {
		return nil, fmt.Errorf("notify: plan digests: %w", err)
	}
	var ids []int64
	for _, t := range due {
		m, err := BuildDigest(ctx, bdb, local, loc, baseURL, t.CustomerIDs, now)
		if err != nil {
			return ids, err
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return ids, err
		}
		d := &db.NotifyDelivery{Kind: KindDigest, ChannelID: t.ChannelID, UserID: t.UserID, Target: t.Target, Subject: m.Title,
			Message: raw, DigestDate: &today, Status: "queued"}
		res, err := bdb.NewInsert().Model(d).ExcludeColumn("id", "created_at", "updated_at", "sent_at").On("CONFLICT DO NOTHING").
			Returning("id").Exec(ctx)
		if err != nil {
			return ids, fmt.Errorf("notify: plan digest for %s: %w", t.Target, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			ids = append(ids, d.ID)
		}
	}
	return ids, nil
}
