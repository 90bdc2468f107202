package parsers

import (
	"strings"
	"testing"
	"time"
)

var cet = time.FixedZone("", 3600)

func TestVeeamParseDateTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // RFC 3339 in cet, "" when it must not parse
	}{
		{"Monday, 05 October 2026 21:00:00", "2026-10-05T21:00:00+01:00"},
		{"Tuesday, March 3, 2026 10:00:05 PM", "2026-03-03T22:00:05+01:00"},
		{"Tuesday, March 3, 2026 12:00:05 AM", "2026-03-03T00:00:05+01:00"},
		{"zondag 1 maart 2026 01:00:29", "2026-03-01T01:00:29+01:00"},
		{"di 3 mrt 2026 om 22:04", "2026-03-03T22:04:00+01:00"},
		{"Dienstag, 3. März 2026 23:00:10", "2026-03-03T23:00:10+01:00"},
		{"mercredi 4 mars 2026 02:00:00", "2026-03-04T02:00:00+01:00"},
		{"jeudi 17 déc. 2026 08:15", "2026-12-17T08:15:00+01:00"},
		{"martes, 3 de marzo de 2026 22:00:00", "2026-03-03T22:00:00+01:00"},
		{"9-1-2020 12:51", "2020-01-09T12:51:00+01:00"},         // day first
		{"03.03.2026 10:01:12", "2026-03-03T10:01:12+01:00"},    // German numeric
		{"3/4/2026 2:15:04 AM", "2026-03-04T02:15:04+01:00"},    // US: month first with AM/PM
		{"04/03/2026 14:15:04", "2026-03-04T14:15:04+01:00"},    // day first without AM/PM
		{"3/25/2026 10:00 PM", "2026-03-25T22:00:00+01:00"},     // 25 can only be the day
		{"2026-03-03 22:00:05", "2026-03-03T22:00:05+01:00"},    // ISO
		{"Tuesday, 03 March 2026", "2026-03-03T00:00:00+01:00"}, // no time: midnight
		{"31 February 2026 10:00:00", ""},                       // no such day
		{"03.03.26 10:01:12", ""},                               // two-digit year refused
		{"15 серпня 2026 р. 10:01:12", ""},                      // unknown month language
		{"21:03:35", ""}, // a clock is not a date
		{"", ""},
		{"Tuesday, March 3, 2026 13:00:05 PM", ""}, // not a 12-hour time
	} {
		got, ok := veeamParseDateTime(tc.in, cet)
		switch {
		case tc.want == "" && ok:
			t.Errorf("veeamParseDateTime(%q) = %v, want no date", tc.in, got)
		case tc.want != "" && (!ok || got.Format(time.RFC3339) != tc.want):
			t.Errorf("veeamParseDateTime(%q) = %v, %v; want %s", tc.in, got.Format(time.RFC3339), ok, tc.want)
		}
	}
}

func TestVeeamParseClockAndDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want veeamClock
		ok   bool
	}{
		{"01:00:29", veeamClock{1, 0, 29}, true},
		{"9:03", veeamClock{9, 3, 0}, true},
		{"9:03:35 PM", veeamClock{21, 3, 35}, true},
		{"12:10:00 AM", veeamClock{0, 10, 0}, true},
		{"12:10:00 PM", veeamClock{12, 10, 0}, true},
		{"24:00:00", veeamClock{}, false},
		{"1:2", veeamClock{}, false},
		{"n/a", veeamClock{}, false},
	} {
		got, ok := veeamParseClock(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("veeamParseClock(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0:09:42", 9*time.Minute + 42*time.Second, true},
		{"26:03:04", 26*time.Hour + 3*time.Minute + 4*time.Second, true},
		{"1.02:03:04", 26*time.Hour + 3*time.Minute + 4*time.Second, true},
		{"0:61:00", 0, false},
		{"soon", 0, false},
	} {
		got, ok := veeamParseDuration(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("veeamParseDuration(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestVeeamSessionTimes(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		session, start, end, dur string
		wantStart, wantEnd       string
	}{
		{"same day", "zaterdag 1 februari 2020 01:00:29", "01:00:29", "01:10:11", "0:09:42",
			"2020-02-01T01:00:29+01:00", "2020-02-01T01:10:11+01:00"},
		{"past midnight", "Dienstag, 3. März 2026 23:00:10", "23:00:10", "00:41:55", "1:41:45",
			"2026-03-03T23:00:10+01:00", "2026-03-04T00:41:55+01:00"},
		{"longer than a day", "Saturday, 07 March 2026 12:00:00", "12:00:00", "14:00:00", "26:00:00",
			"2026-03-07T12:00:00+01:00", "2026-03-08T14:00:00+01:00"},
		{"12-hour clock", "Tuesday, March 3, 2026 10:00:05 PM", "10:00:05 PM", "10:14:32 PM", "0:14:27",
			"2026-03-03T22:00:05+01:00", "2026-03-03T22:14:32+01:00"},
		{"full dates in the fields", "", "3-3-2026 22:00:05", "4-3-2026 01:00:00", "",
			"2026-03-03T22:00:05+01:00", "2026-03-04T01:00:00+01:00"},
		{"no end: duration", "Tuesday, 03 March 2026 22:00:00", "22:00:00", "", "0:30:00",
			"2026-03-03T22:00:00+01:00", "2026-03-03T22:30:00+01:00"},
		{"no end at all", "Tuesday, 03 March 2026 22:00:00", "22:00:00", "", "",
			"2026-03-03T22:00:00+01:00", ""},
		{"unreadable date", "15 серпня 2026 р. 10:01:12", "10:00:18", "10:01:12", "0:00:53", "", ""},
		{"no session date", "", "10:00:18", "10:01:12", "0:00:53", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, e := veeamSessionTimes(tc.session, tc.start, tc.end, tc.dur, cet)
			if got := veeamFormat(s); got != tc.wantStart {
				t.Errorf("start = %s, want %s", got, tc.wantStart)
			}
			if got := veeamFormat(e); got != tc.wantEnd {
				t.Errorf("end = %s, want %s", got, tc.wantEnd)
			}
		})
	}
}

func veeamFormat(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

func TestVeeamStatus(t *testing.T) {
	for in, want := range map[string]string{
		"Success": StatusSuccess, " success ": StatusSuccess, "Warning": StatusWarning,
		"Error": StatusFailed, "Failed": StatusFailed, "FAILED": StatusFailed,
		"None": "", "In progress": "", "": "",
	} {
		if got := veeamStatus(in); got != want {
			t.Errorf("veeamStatus(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVeeamSubjects(t *testing.T) {
	for _, tc := range []struct {
		subject, status, job string
	}{
		{"[Success] srv01 - daily (1 machines) ", StatusSuccess, "srv01 - daily"}, // trailing space for empty %Issues%
		{"[Warning] Daily VMs (1 VMs) 1 warning", StatusWarning, "Daily VMs"},
		{"[Failed] Daily VMs (2 objects) 1 failed", StatusFailed, "Daily VMs"},
		{"[Success] Cloud policy (4 instances) ", StatusSuccess, "Cloud policy"},
		{"[Failed] Nightly (Retry 3) (2 VMs) 2 failed", StatusFailed, "Nightly (Retry 3)"},
		{"Fwd: [Success] Daily VMs (3 machines)", StatusSuccess, "Daily VMs"},
		{"Acme - [Failed] Offsite copy (1 VMs)  #INC-1", StatusFailed, "Offsite copy"},
		{"[error] Job (with parentheses) (2 VMs)", StatusFailed, "Job (with parentheses)"},
		{"[Success] Backup without count", StatusSuccess, "Backup without count"},
		{"Backup finished [OK]", "", ""},
		{"", "", ""},
	} {
		if got := veeamSubjectStatus(tc.subject); got != tc.status {
			t.Errorf("veeamSubjectStatus(%q) = %q, want %q", tc.subject, got, tc.status)
		}
		if got := veeamSubjectJob(tc.subject); got != tc.job {
			t.Errorf("veeamSubjectJob(%q) = %q, want %q", tc.subject, got, tc.job)
		}
	}

	for _, tc := range []struct{ in, name, retry string }{
		{"Klantservers (Retry 2)", "Klantservers", "Retry 2"},
		{"Daily (retry 12) copy", "Daily copy", "Retry 12"},
		{"Daily VMs", "Daily VMs", ""},
	} {
		name, retry := veeamSplitRetry(tc.in)
		if name != tc.name || retry != tc.retry {
			t.Errorf("veeamSplitRetry(%q) = %q, %q; want %q, %q", tc.in, name, retry, tc.name, tc.retry)
		}
	}

	if got := veeamConfigSubjectJob("[Success] Backup Configuration Job (3/3/2026 10:01:12 AM)"); got != "Backup Configuration Job" {
		t.Errorf("config subject job = %q", got)
	}
	org, job := veeamM365Subject("[Warning] example.onmicrosoft.com - Sites - daily (45 objects), 2 issues")
	if org != "example.onmicrosoft.com" || job != "Sites - daily" {
		t.Errorf("m365 subject = %q, %q", org, job)
	}
	if org, _ := veeamM365Subject("[Warning] Daily VMs (45 objects) 2 warnings"); org != "" {
		t.Errorf("a B&R subject read as VB365: %q", org)
	}

	for _, tc := range []struct{ subject, host, job, backupType string }{
		{"[Success] SRV-WEB01 - Tuesday, 03 March 2026 23:00:01 (daily - Incremental)", "SRV-WEB01", "daily", "Incremental"},
		{"[Warning] SRV-WEB01 - Samstag, 07 März 2026 23:00:01 (daily - Full)", "SRV-WEB01", "daily", "Full"},
		{"[Success] SRV-WEB01 - Tuesday, 03 March 2026 23:00:01 (daily)", "SRV-WEB01", "daily", ""},
		{"[Failed] SRV-DB01 - Tuesday, 03 March 2026 23:30:00", "SRV-DB01", "", ""},
	} {
		host, job, bt := veeamLinuxSubject(tc.subject)
		if host != tc.host || job != tc.job || bt != tc.backupType {
			t.Errorf("veeamLinuxSubject(%q) = %q, %q, %q", tc.subject, host, job, bt)
		}
	}

	for _, tc := range []struct{ subject, job, host string }{
		{"[Success] WIN-01 - Daily backup - Monday, 05 October 2026 21:03:35", "Daily backup", "WIN-01"},
		{"[Success] WIN-01 - Daily - full - Monday, October 5, 2026 9:03:35 PM", "Daily - full", "WIN-01"},
		{"[Success] WIN-01 - Daily backup - Monday, 05 October 2026 21:03:35", "", "WIN-01"},
		{"[Success] My laptop backup", "My laptop backup", ""},
	} {
		if got := veeamWindowsAgentHost(tc.subject, tc.job); got != tc.host {
			t.Errorf("veeamWindowsAgentHost(%q, %q) = %q, want %q", tc.subject, tc.job, got, tc.host)
		}
	}
}

func TestVeeamTitles(t *testing.T) {
	for _, tc := range []struct{ title, kind, job string }{
		{"Backup job: Daily VMs (Retry 3)", "backup", "Daily VMs (Retry 3)"},
		{"Backup Copy job: Offsite copy", "backup copy", "Offsite copy"},
		{"Replication job: DR", "replication", "DR"},
		{"SureBackup job: Weekly test", "surebackup", "Weekly test"},
		{"Backup to Tape job: Weekly tape", "tape", "Weekly tape"},
		{"File to Tape job: Archive", "tape", "Archive"},
		{"Agent Backup job: daily (Incremental)", "agent backup", "daily (Incremental)"},
		{"Endpoint Backup job: Laptop", "agent backup", "Laptop"},
		{"Configuration Backup job", "configuration", ""},
		{"Backup Configuration Job", "configuration", ""},
		{"Configuration Backup: Nightly", "configuration", "Nightly"},
		{"Configuration Backup for Admins", "", ""},
		{"Backup job finished", "", ""},
		{"My Backup job: x", "", ""},
	} {
		rep := &veeamReport{title: tc.title}
		if rep.kind() != tc.kind || rep.jobTitle() != tc.job {
			t.Errorf("title %q: kind %q job %q; want %q, %q", tc.title, rep.kind(), rep.jobTitle(), tc.kind, tc.job)
		}
	}
	for _, tc := range []struct{ in, job, backupType string }{
		{"daily (Incremental)", "daily", "Incremental"},
		{"daily (Full)", "daily", "Full"},
		{"nightly ()", "nightly", ""},
		{"daily - Full", "daily", "Full"},
		{"weekly (home)", "weekly (home)", ""},
	} {
		job, bt := veeamSplitLinuxBackupType(tc.in)
		if job != tc.job || bt != tc.backupType {
			t.Errorf("veeamSplitLinuxBackupType(%q) = %q, %q", tc.in, job, bt)
		}
	}
}

// A report whose classes were stripped (as Gmail does when forwarding) is read by
// its text and shape alone.
func TestVeeamReadReportWithoutClasses(t *testing.T) {
	body := `<table><tr><td><table>
<tr><td>Backup job: Daily VMs <div>Created by EXAMPLE\admin</div></td><td>Warning<div>2 of 2 VMs processed</div></td></tr>
<tr><td colspan="2"><table>
<tr><td colspan="9"><span>Tuesday, 03 March 2026 22:00:03</span></td></tr>
<tr><td><b>Success</b></td><td>1</td><td><b>Start time</b></td><td>22:00:03</td><td rowspan="3"><span>Processing srv-b Warning: low space<br/>Second&nbsp;line</span></td></tr>
<tr><td><b>Warning</b></td><td>1</td><td><b>End time</b></td><td>22:09:51</td></tr>
<tr><td><b>Error</b></td><td>0</td><td><b>Duration</b></td><td>0:09:48</td></tr>
<tr><td colspan="9">Details</td></tr>
<tr><td><b>Name</b></td><td><b>Status</b></td><td><b>Details</b></td></tr>
<tr><td>srv-a</td><td>Success</td><td>&nbsp;</td></tr>
<tr><td>srv-b</td><td><span>Warning</span></td><td><span>Low space
   on the repository</span></td></tr>
</table></td></tr></table></td></tr></table>`
	rep := veeamReadReport(body)
	if rep.kind() != "backup" || rep.jobTitle() != "Daily VMs" || rep.titleDesc != `Created by EXAMPLE\admin` || rep.status != "Warning" {
		t.Fatalf("title: %+v", rep)
	}
	if rep.sessionDate != "Tuesday, 03 March 2026 22:00:03" {
		t.Errorf("session date %q", rep.sessionDate)
	}
	if rep.fields["start time"] != "22:00:03" || rep.fields["end time"] != "22:09:51" || rep.fields["duration"] != "0:09:48" {
		t.Errorf("fields %v", rep.fields)
	}
	if strings.Join(rep.details, "|") != "Processing srv-b Warning: low space|Second line" {
		t.Errorf("details %q", rep.details)
	}
	objs := veeamJobParser{objectType: "VM"}.objects(rep)
	want := []Object{{Name: "srv-a", Type: "VM", Status: StatusSuccess}, {Name: "srv-b", Type: "VM", Status: StatusWarning, Error: "Low space on the repository"}}
	if len(objs) != len(want) {
		t.Fatalf("objects %+v", objs)
	}
	for i := range want {
		if objs[i] != want[i] {
			t.Errorf("object %d = %+v, want %+v", i, objs[i], want[i])
		}
	}
}

func TestVeeamMatch(t *testing.T) {
	report := func(title, status string) string {
		return `<table><tr><td>` + title + `<div class="jobDescription">x</div></td><td>` + status +
			`</td></tr><tr><td class="sessionDetails">Tuesday, 03 March 2026 22:00:03</td></tr></table>`
	}
	byName := map[string]Parser{}
	for _, p := range Default().Parsers() {
		byName[p.Info().Name] = p
	}
	for _, tc := range []struct {
		name    string
		mail    Mail
		matches string // the only Veeam parser that matches, "" for none
	}{
		{"backup job, status in body", Mail{HTML: report("Backup job: A", "Success")}, "veeam_backup_job"},
		{"backup job, status in subject", Mail{Subject: "[Failed] A (1 VMs) 1 failed", HTML: report("Backup job: A", "")}, "veeam_backup_job"},
		{"no status anywhere", Mail{Subject: "About job A", HTML: report("Backup job: A", "")}, ""},
		{"copy", Mail{HTML: report("Backup Copy job: A", "Warning")}, "veeam_backup_copy_job"},
		{"agent, Linux", Mail{HTML: report("Agent Backup job: a (Full)", "Success") + "Veeam Agent for Linux 6.3"}, "veeam_agent_linux"},
		{"agent, B&R", Mail{HTML: report("Agent Backup job: a", "Success") + "Veeam Backup &amp; Replication 12"}, "veeam_agent_job"},
		{"VB365 body", Mail{HTML: report("Backup job: Mail", "Success") + "Veeam Backup for Microsoft 365 8.1"}, "veeam_m365_job"},
		{"VB365 subject only", Mail{Subject: "[Success] example.onmicrosoft.com - Mail (3 objects), 0 issues", HTML: "<p>new layout</p>"}, "veeam_m365_job"},
		{"VSPC alarm", Mail{Subject: `Company: "A", Location: "B", Alarm: "Job state", Status: "Error"`}, "veeam_spc_alarm"},
		{"newsletter", Mail{Subject: "Veeam news", HTML: "<p>Backup job: faster</p><p>Veeam Backup &amp; Replication</p>"}, ""},
		{"plain text only", Mail{Subject: "[Success] A (1 VMs)", Text: "Backup job: A\nSuccess"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var matched []string
			for name, p := range byName {
				if strings.HasPrefix(name, "veeam_") && p.Match(&tc.mail) {
					matched = append(matched, name)
				}
			}
			if (tc.matches == "" && len(matched) > 0) || (tc.matches != "" && (len(matched) != 1 || matched[0] != tc.matches)) {
				t.Errorf("matched %v, want %q", matched, tc.matches)
			}
			if tc.matches != "" {
				run, err := byName[tc.matches].Parse(&tc.mail)
				if err != nil || run.Status == "" || run.JobName == "" {
					t.Errorf("parse: %+v, %v", run, err)
				}
			}
		})
	}
}

func TestVeeamSPCAlarm(t *testing.T) {
	p := veeamSPCAlarmParser{}
	for _, tc := range []struct {
		subject, status, job string
		wantErr              bool
	}{
		{`Company: "Acme", Location: "HQ", Alarm: "Job state", Status: "Error"`, StatusFailed, "Acme / HQ - Job state", false},
		{`Company: "Acme", Location: "Acme", Alarm: "Job state", Status: "Acknowledged"`, StatusWarning, "Acme - Job state", false},
		{`Company: "", Location: "", Alarm: "License", Status: "Info"`, StatusSuccess, "License", false},
		{`Company: "Acme", Location: "HQ", Alarm: "Job state", Status: "Sleeping"`, "", "", true},
	} {
		m := &Mail{Subject: tc.subject, Text: "Object: Daily VMs\nDescription: it broke"}
		if !p.Match(m) {
			t.Errorf("no match: %q", tc.subject)
			continue
		}
		run, err := p.Parse(m)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%q: want an error, got %+v", tc.subject, run)
			}
			continue
		}
		if err != nil || run.Status != tc.status || run.JobName != tc.job+" - Daily VMs" {
			t.Errorf("%q: %+v, %v", tc.subject, run, err)
		}
	}
	if p.Match(&Mail{Subject: "[Failed] Company: Acme (2 VMs)"}) {
		t.Error("a B&R subject matched the alarm parser")
	}
}

// hostileBodies are inputs that would blow up a quadratic parser: deeply nested
// tables, a huge row, many cells, a long run of date-like text.
var hostileBodies = map[string]string{
	"nested tables": strings.Repeat("<table><tr><td>Backup job: x</td><td>", 20000) + strings.Repeat("</td></tr></table>", 20000),
	"wide row":      "<table><tr>" + strings.Repeat("<td><b>Start time</b></td>", 25000) + "</tr></table>",
	"many rows":     "<table>" + strings.Repeat("<tr><td><b>Name</b></td><td><b>Status</b></td></tr>", 10000) + "</table>",
	"long text":     strings.Repeat("Monday, 05 October 2026 21:00:00 ", 20000),
}

// TestVeeamHostileInput: hostile bodies parse without a panic (a hang fails the
// suite's timeout). How long they take is measured by BenchmarkHostileInput, never
// asserted here.
func TestVeeamHostileInput(t *testing.T) {
	for name, body := range hostileBodies {
		t.Run(name, func(t *testing.T) {
			m := &Mail{Subject: "[Success] " + strings.Repeat("(Retry 1) ", 5000), HTML: body}
			Default().Parse(m)
		})
	}
}

func BenchmarkHostileInput(b *testing.B) {
	for name, body := range hostileBodies {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Default().Parse(&Mail{Subject: "[Success] " + strings.Repeat("(Retry 1) ", 5000), HTML: body})
			}
		})
	}
}
