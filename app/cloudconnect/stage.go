package cloudconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

// stagedRow is one report row as it is stored: the account's key, the row's figures
// and its verdict. JSON is how the set-based statements read it.
type stagedRow struct {
	MailID         int64      `json:"mail_message_id"`
	Position       int        `json:"position"`
	ReceivedAt     time.Time  `json:"received_at"`
	ReportDate     string     `json:"report_date"`
	ExternalID     string     `json:"external_id"`
	User           string     `json:"user_name"`
	Section        string     `json:"section"`
	RepoName       string     `json:"repo_name"`
	Repository     string     `json:"repository"`
	Machines       string     `json:"machines"`
	QuotaText      string     `json:"quota_text"`
	UsedText       string     `json:"used_text"`
	FreeText       string     `json:"free_text"`
	QuotaBytes     *int64     `json:"quota_bytes"`
	UsedBytes      *int64     `json:"used_bytes"`
	FreeBytes      *int64     `json:"free_bytes"`
	LastActive     string     `json:"last_active"`
	LastActiveAt   *time.Time `json:"last_active_at"`
	Expiry         string     `json:"expiry"`
	Colour         string     `json:"colour"`
	ReportedStatus string     `json:"reported_status"`
	Status         string     `json:"status"`
	Message        string     `json:"message"`
}

// maxText bounds a text taken from a report (hostile input) for its column.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// StageReports reads the Cloud Connect report mails mailIDs (their stored HTML): it
// upserts an account per row (the figures of the newest report win, whatever order
// reports are read in), replaces the mails' stored rows, and makes or updates the
// runs of the linked accounts. It is the ingest hand-over (mail import, re-parse) and
// ScanInbox's step; idempotent. Set-based, in the caller's transaction.
func StageReports(ctx context.Context, tx bun.IDB, mailIDs []int64) error {
	_, err := stage(ctx, tx, mailIDs)
	return err
}

// stage is StageReports, returning how many runs it made or updated.
func stage(ctx context.Context, tx bun.IDB, mailIDs []int64) (int, error) {
	if len(mailIDs) == 0 {
		return 0, nil
	}
	s, err := settings.Load(ctx, tx)
	if err != nil {
		return 0, err
	}
	rules, loc := RulesOf(s), settings.Location(s)
	var mails []struct {
		ID         int64     `bun:"id"`
		HTML       string    `bun:"html_body"`
		ReceivedAt time.Time `bun:"received_at"`
	}
	if err := tx.NewRaw(`SELECT id, coalesce(html_body, '') AS html_body, received_at FROM mail_messages
		WHERE id IN (?) AND location <> 'deleted' ORDER BY received_at, id`, bun.In(mailIDs)).Scan(ctx, &mails); err != nil {
		return 0, fmt.Errorf("cloudconnect: load reports: %w", err)
	}
	var rows []stagedRow
	for _, m := range mails {
		read, err := parsers.ReadCloudConnectReport(m.HTML)
		if err != nil {
			return 0, fmt.Errorf("cloudconnect: report %d: %w", m.ID, err)
		}
		day := m.ReceivedAt.In(loc)
		for i, r := range read {
			rows = append(rows, newStagedRow(m.ID, i, m.ReceivedAt, day, r, loc, rules))
		}
	}
	if _, err := tx.NewDelete().TableExpr("cloud_connect_report_rows").Where("mail_message_id IN (?)", bun.In(mailIDs)).Exec(ctx); err != nil {
		return 0, fmt.Errorf("cloudconnect: clear report rows: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	if err := upsertAccounts(ctx, tx, rows); err != nil {
		return 0, err
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return 0, fmt.Errorf("cloudconnect: encode report rows: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO cloud_connect_report_rows (mail_message_id, account_id, position, received_at, report_date, external_id,
			repository, machines, quota_text, used_text, free_text, quota_bytes, used_bytes, free_bytes,
			last_active, last_active_at, expiry, colour, reported_status, status, message)
		SELECT x.mail_message_id, a.id, x.position, x.received_at, x.report_date, x.external_id,
			x.repository, x.machines, x.quota_text, x.used_text, x.free_text, x.quota_bytes, x.used_bytes, x.free_bytes,
			x.last_active, x.last_active_at, x.expiry, x.colour, x.reported_status, x.status, x.message
		FROM `+rowsRecordset+`
		JOIN cloud_connect_accounts a ON a.user_name = x.user_name AND a.section = x.section AND a.repo_name = x.repo_name`,
		string(b)); err != nil {
		return 0, fmt.Errorf("cloudconnect: store report rows: %w", err)
	}
	return makeRuns(ctx, tx, "r.mail_message_id IN (?)", bun.In(mailIDs))
}

// rowsRecordset reads a JSON array of stagedRow.
const rowsRecordset = `jsonb_to_recordset(?::jsonb) AS x(mail_message_id bigint, position int, received_at timestamptz,
	report_date date, external_id text, user_name text, section text, repo_name text, repository text, machines text,
	quota_text text, used_text text, free_text text, quota_bytes bigint, used_bytes bigint, free_bytes bigint,
	last_active text, last_active_at timestamptz, expiry text, colour text, reported_status text, status text, message text)`

func newStagedRow(mailID int64, pos int, received, day time.Time, r parsers.CloudConnectRow, loc *time.Location, rules Rules) stagedRow {
	last := ParseLastActive(r.LastActive, loc, received)
	v := Evaluate(r, last, received, rules)
	user, repo := clip(r.User, 500), clip(r.RepoName, 500)
	return stagedRow{MailID: mailID, Position: pos, ReceivedAt: received, ReportDate: day.Format(time.DateOnly),
		ExternalID: clip(ExternalID(user, r.Section, repo, day), 1000),
		User:       user, Section: r.Section, RepoName: repo, Repository: clip(r.Repository, 500), Machines: clip(r.Machines, 100),
		QuotaText: clip(r.QuotaText, 100), UsedText: clip(r.UsedText, 100), FreeText: clip(r.FreeText, 100),
		QuotaBytes: r.QuotaBytes, UsedBytes: r.UsedBytes, FreeBytes: r.FreeBytes,
		LastActive: clip(r.LastActive, 100), LastActiveAt: last, Expiry: clip(r.Expiry, 100), Colour: clip(r.Colour, 50),
		ReportedStatus: r.Status, Status: v.Status, Message: clip(v.Message, 2000)}
}

// upsertAccounts makes an account of every key in rows and gives each the figures of
// its newest row, unless the account has a newer report already (an old mail read
// again). First and last seen follow every report.
func upsertAccounts(ctx context.Context, tx bun.IDB, rows []stagedRow) error {
	// One row per account (ON CONFLICT may touch a row once): the newest report's.
	newest := map[[3]string]stagedRow{}
	first := map[[3]string]time.Time{}
	for _, r := range rows {
		k := [3]string{r.User, r.Section, r.RepoName}
		if cur, ok := newest[k]; !ok || r.ReceivedAt.After(cur.ReceivedAt) || r.ReceivedAt.Equal(cur.ReceivedAt) && r.MailID > cur.MailID {
			newest[k] = r
		}
		if f, ok := first[k]; !ok || r.ReceivedAt.Before(f) {
			first[k] = r.ReceivedAt
		}
	}
	type accountRow struct {
		stagedRow
		FirstSeen time.Time `json:"first_seen_at"`
	}
	in := make([]accountRow, 0, len(newest))
	for k, r := range newest {
		in = append(in, accountRow{r, first[k]})
	}
	sort.Slice(in, func(i, j int) bool { // a stable lock order between concurrent imports
		a, b := in[i], in[j]
		return a.User < b.User || a.User == b.User && (a.Section < b.Section || a.Section == b.Section && a.RepoName < b.RepoName)
	})
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("cloudconnect: encode accounts: %w", err)
	}
	figures := []string{"repository", "machines", "quota_text", "used_text", "free_text", "quota_bytes", "used_bytes",
		"free_bytes", "last_active", "last_active_at", "expiry", "colour", "reported_status", "status", "message"}
	set := make([]string, 0, len(figures)+2)
	for _, c := range figures {
		set = append(set, fmt.Sprintf("%[1]s = CASE WHEN %[2]s THEN excluded.%[1]s ELSE a.%[1]s END", c, newer))
	}
	set = append(set, "last_mail_id = CASE WHEN "+newer+" THEN excluded.last_mail_id ELSE a.last_mail_id END",
		"last_result_at = greatest(a.last_result_at, excluded.last_result_at)",
		"first_seen_at = least(a.first_seen_at, excluded.first_seen_at)",
		"last_seen_at = greatest(a.last_seen_at, excluded.last_seen_at)",
		"updated_at = now()")
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO cloud_connect_accounts AS a (user_name, section, repo_name, `+strings.Join(figures, ", ")+`,
			last_mail_id, last_result_at, first_seen_at, last_seen_at)
		SELECT x.user_name, x.section, x.repo_name, `+prefixed("x.", figures)+`,
			x.mail_message_id, x.received_at, x.first_seen_at, x.received_at
		FROM jsonb_to_recordset(?::jsonb) AS x(mail_message_id bigint, received_at timestamptz, first_seen_at timestamptz,
			user_name text, section text, repo_name text, repository text, machines text, quota_text text, used_text text,
			free_text text, quota_bytes bigint, used_bytes bigint, free_bytes bigint, last_active text,
			last_active_at timestamptz, expiry text, colour text, reported_status text, status text, message text)
		ON CONFLICT (user_name, section, repo_name) DO UPDATE SET `+strings.Join(set, ",\n\t\t\t"),
		string(b)); err != nil {
		return fmt.Errorf("cloudconnect: upsert accounts: %w", err)
	}
	return nil
}

// newer: the row being upserted is at least as recent as the account's latest report.
const newer = "(a.last_result_at IS NULL OR excluded.last_result_at >= a.last_result_at)"

func prefixed(p string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = p + c
	}
	return strings.Join(out, ", ")
}

// RulesOf reads the rules' thresholds from the settings row.
func RulesOf(s *db.SystemSettings) Rules {
	return Rules{QuotaPercent: s.CloudConnectQuotaPercent, InactiveDays: s.CloudConnectInactiveDays}
}
