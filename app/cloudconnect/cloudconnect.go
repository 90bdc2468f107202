// Package cloudconnect turns the Veeam Cloud Connect report into accounts and runs.
//
// A service provider's daily report (parsers.CloudConnectParser) lists every tenant
// repository; each row is an account keyed by (user, section, repo name), staged here
// (cloud_connect_accounts) with the figures of the latest report, and every report's
// row is kept (cloud_connect_report_rows). An operator links an account to a job
// (Create job or Link to existing job); a linked account gets one run per report
// date through ingest.CreateRuns, and importing a report of that date again replaces
// the run's result (Report.Update). Mail import hands report mails over
// (ingest.HandleAccountReports, registered by init); ScanInbox re-reads the stored ones.
//
// Veeam's row colour is trusted. Two rules go beyond it (Settings → Integrations): an
// account using its configured share of the quota or more is a Warning whose message
// gives the figure (default 90%), and, when set, an account whose last activity is
// older than N days before the report is a Warning although its row is white (off by
// default: Veeam already colours tenants that stopped, and a tenant that backs up
// weekly would be flagged every day).
package cloudconnect

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/parsers"
)

func init() { ingest.HandleAccountReports(parsers.CloudConnectParser, StageReports) }

// Software is the backup software of Cloud Connect jobs; their backup type is the
// account's section.
const Software = "Veeam Cloud Connect"

// ObjectType is the type of the customer object a run's repository is.
const ObjectType = "cloud_connect_repo"

// DefaultQuotaPercent is the quota rule's threshold on a new installation.
const DefaultQuotaPercent = 90

// Rules are the thresholds of the rules beyond Veeam's colour; nil is off.
type Rules struct {
	QuotaPercent *int // used space at or above this share of the quota is a Warning
	InactiveDays *int // last activity more than this many days before the report is a Warning
}

// Verdict is a row's status after the rules, with why.
type Verdict struct {
	Status  string
	Message string
}

// Evaluate judges a report row: Veeam's colour, then the quota rule, then the
// inactivity rule (with lastActive the row's last activity read as a time, nil when
// it could not be). A rule only ever makes a status worse.
func Evaluate(r parsers.CloudConnectRow, lastActive *time.Time, reportAt time.Time, rules Rules) Verdict {
	v := Verdict{Status: r.Status}
	var why []string
	switch r.Status {
	case parsers.StatusFailed:
		why = append(why, "Veeam marks this tenant red in the Cloud Connect report")
	case parsers.StatusWarning:
		why = append(why, "Veeam marks this tenant yellow in the Cloud Connect report")
	}
	if pct, ok := usedPercent(r.UsedBytes, r.QuotaBytes); ok && rules.QuotaPercent != nil && pct >= float64(*rules.QuotaPercent) {
		why = append(why, fmt.Sprintf("%s of the quota used (%s of %s; alert at %d%%)", percentText(pct), r.UsedText, r.QuotaText, *rules.QuotaPercent))
		v.Status = worse(v.Status, parsers.StatusWarning)
	}
	if rules.InactiveDays != nil {
		days := *rules.InactiveDays
		switch {
		case isNever(r.LastActive):
			why = append(why, "never active")
			v.Status = worse(v.Status, parsers.StatusWarning)
		case lastActive != nil && reportAt.Sub(*lastActive) > time.Duration(days)*24*time.Hour:
			ago := int(reportAt.Sub(*lastActive).Hours() / 24)
			why = append(why, fmt.Sprintf("last active %d days before the report (%s; alert after %d days)", ago, r.LastActive, days))
			v.Status = worse(v.Status, parsers.StatusWarning)
		}
	}
	if len(why) > 0 {
		v.Message = strings.ToUpper(why[0][:1]) + why[0][1:]
		if len(why) > 1 {
			v.Message += "; " + strings.Join(why[1:], "; ")
		}
	}
	return v
}

// usedPercent is used as a share of quota, when both are known and the quota is not 0.
func usedPercent(used, quota *int64) (float64, bool) {
	if used == nil || quota == nil || *quota <= 0 {
		return 0, false
	}
	return float64(*used) * 100 / float64(*quota), true
}

// UsedPercent is the share of the quota used, when the figures are known.
func UsedPercent(used, quota *int64) (float64, bool) { return usedPercent(used, quota) }

// PercentText shows a share as the rules' messages do.
func PercentText(p float64) string { return percentText(p) }

// percentText shows a share without claiming more than it is: 89.96% is "89.9%", not
// "90%" (sizes shown rounded, such as 1.2 TB, still give 60%).
func percentText(p float64) string {
	f := math.Floor(p*10+1e-6) / 10
	if f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + "%"
}

func worse(a, b string) string {
	rank := map[string]int{parsers.StatusSuccess: 0, parsers.StatusWarning: 1, parsers.StatusFailed: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func isNever(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "never", "n/a", "-", "—":
		return true
	}
	return false
}

// ExternalID is the run identity of an account's report of one day:
// vcc-{user}-{section}-{repo slug}-{date}. A job is linked to one account, so the
// slug need not be unique among repositories, only stable.
func ExternalID(user, section, repoName string, reportDate time.Time) string {
	return "vcc-" + user + "-" + strings.ToLower(section) + "-" + slug(repoName) + "-" + reportDate.Format(time.DateOnly)
}

// slug is s in lower case with every run of other than letters and digits one "-".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// lastActiveRe reads a date and optional time: 2026-03-03 22:14, 03.03.2026 22:14,
// 3/3/2026 10:14:00 PM, 03-03-2026.
var lastActiveRe = regexp.MustCompile(`(?i)\b(\d{1,4})[./-](\d{1,2})[./-](\d{2,4})(?:(?:[ ,]+|T)(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm)?)?(?:\D|$)`)

// ParseLastActive reads a "Last active" cell as a time in loc. The report is written in
// the provider server's locale: a dotted date is day.month, a year first is
// year-month-day, and a slashed or dashed one with AM/PM is month/day. Otherwise, when
// day and month could be either way round, the reading closest before reportAt is
// taken (a tenant's last activity is never after its report), which flags no tenant
// as inactive by misreading. nil when the text is no date ("Never").
func ParseLastActive(s string, loc *time.Location, reportAt time.Time) *time.Time {
	idx := lastActiveRe.FindStringSubmatchIndex(s)
	if idx == nil {
		return nil
	}
	m := make([]string, len(idx)/2)
	for i := range m {
		if idx[2*i] >= 0 {
			m[i] = s[idx[2*i]:idx[2*i+1]]
		}
	}
	sep := s[idx[3] : idx[3]+1] // the character after the first number
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	a, b, c := n(1), n(2), n(3)
	hour, minute, second := n(4), n(5), n(6)
	switch strings.ToLower(m[7]) {
	case "pm":
		if hour < 12 {
			hour += 12
		}
	case "am":
		if hour == 12 {
			hour = 0
		}
	}
	type ymd struct{ y, m, d int }
	var options []ymd
	switch {
	case len(m[1]) == 4:
		options = []ymd{{a, b, c}}
	case sep == ".":
		options = []ymd{{c, b, a}}
	case m[7] != "":
		options = []ymd{{c, a, b}, {c, b, a}}
	default:
		options = []ymd{{c, b, a}, {c, a, b}}
	}
	var best *time.Time
	for i, o := range options {
		if o.y < 100 {
			o.y += 2000
		}
		if o.m < 1 || o.m > 12 || o.d < 1 || o.d > 31 || hour > 23 || minute > 59 || second > 59 {
			continue
		}
		t := time.Date(o.y, time.Month(o.m), o.d, hour, minute, second, 0, loc)
		if t.Day() != o.d { // 31 February
			continue
		}
		if m[7] != "" && i == 0 {
			return &t // AM/PM: month first when it can be
		}
		late := !reportAt.IsZero() && t.After(reportAt.Add(24*time.Hour))
		switch {
		case best == nil && !late:
			best = &t
		case best != nil && !late && t.After(*best):
			best = &t
		}
	}
	return best
}
