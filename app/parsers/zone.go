package parsers

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Report times and the mail they came in.
//
// Most backup products print clock times without a zone ("21:00:00"), in the local
// time of the machine that ran the job. The mail's Date header usually carries that
// machine's offset, but not always: a relay that adds a missing Date writes its own
// (a Gmail relay writes -0700 for a machine in +0300), a forwarded copy carries the
// forwarder's, and a wrong clock says nothing reliable. Read in a wrong offset, a
// 21:00 job becomes a run at 06:00 the next day, hours after the mail that reports it
// arrived, and a forwarded copy of the same report becomes a second run on another day.
// So:
//   - the Date's offset is used only when the header can be the sender's own
//     (DateZoneTrusted), and only if the report then does not end after the mail
//     arrived; otherwise the report is read in the fallback zone (the UI timezone);
//   - a run is never later than its mail's arrival: later times are set to the arrival,
//     with a note (ParsedRun.TimeNote);
//   - a report's identity (ParsedRun.ReportKey) is its status and its times as written,
//     which are the same in every copy, whatever zone they were read in.

const (
	// clockSkew is how far a sender's clock may be ahead of the mailbox's before its
	// times are taken to be wrong.
	clockSkew = 10 * time.Minute
	// maxQueued is how long before its arrival a mail's Date may be (mail can wait in a
	// queue) for the header to still be taken as written when the mail was sent.
	maxQueued = 24 * time.Hour
	// noteAfter: a run later than its mail by less than this is dated at the arrival
	// without a note (clocks a few seconds apart).
	noteAfter = time.Minute
)

// forwardPrefix recognises a forwarded copy by its subject ("Fwd:", "FW:", "WG:",
// "TR:", "Doorst:", "RV:", "ENC:"), possibly after "Re:".
var forwardPrefix = regexp.MustCompile(`(?i)^\s*(?:(?:re|aw|antw)\s*:\s*)*(?:fwd?|fw|wg|tr|doorst|rv|enc)\s*:`)

// DateZoneTrusted reports whether the Date header's offset can be the sending
// machine's local zone: the header is there and names an offset (not "-0000"), the
// mail is not a forwarded copy (whose Date is the forwarder's), and it was written
// close to when the mailbox received the mail (at most maxQueued before, and not
// after beyond clock skew: a clock that is wrong says nothing about its zone).
func (m *Mail) DateZoneTrusted() bool {
	if m.Date.IsZero() || m.DateZoneUnknown || forwardPrefix.MatchString(m.Subject) {
		return false
	}
	if !m.Received.IsZero() {
		if d := m.Date.Sub(m.Received); d > clockSkew || d < -maxQueued {
			return false
		}
	}
	return true
}

// fallbackZone is the zone a report is read in when the Date's offset is not used.
func (m *Mail) fallbackZone() *time.Location {
	if m.Fallback != nil {
		return m.Fallback
	}
	return time.UTC
}

// settleTimes makes a parsed run's times fit its mail (see the top of this file): it
// reads the report again in the fallback zone when the Date's offset would date it
// after the mail arrived, takes the report's identity, and dates a run still later
// than the mail at the mail's arrival, saying so in TimeNote.
func settleTimes(p Parser, m *Mail, run *ParsedRun) *ParsedRun {
	if run == nil || m.Received.IsZero() {
		if run != nil {
			run.ReportKey = reportKey(run)
		}
		return run
	}
	var notes []string
	if m.zone == nil && m.DateZoneTrusted() {
		if late := lateBy(run, m.Received); late > clockSkew {
			again := *m
			again.zone = m.fallbackZone()
			if alt, err := p.Parse(&again); err == nil && alt != nil && lateBy(alt, m.Received) < late {
				notes = append(notes, fmt.Sprintf(
					"The report's times were read in %s: read in the offset of the mail's Date header (%s), which must be a relay's, the run would end %s after the mail arrived.",
					zoneName(again.zone), m.Date.Format("-0700"), roughly(late)))
				run = alt
			}
		}
	}
	run.ReportKey = reportKey(run)
	if late := lateBy(run, m.Received); late > 0 {
		latest := latestTime(run)
		loc := latest.Location()
		arrived := m.Received.In(loc)
		if late >= noteAfter {
			notes = append(notes, fmt.Sprintf(
				"Dated when the mail arrived (%s): the report's times go up to %s, later than that, so the sending machine's clock or time zone is off.",
				arrived.Format("2 Jan 15:04"), latest.Format("2 Jan 15:04")))
		}
		for _, t := range []*time.Time{run.StartedAt, run.EndedAt} {
			if t != nil && t.After(arrived) {
				*t = arrived
			}
		}
	}
	run.TimeNote = strings.Join(notes, " ")
	return run
}

// latestTime is the run's end, else its start; zero when it has neither.
func latestTime(r *ParsedRun) time.Time {
	switch {
	case r.EndedAt != nil && (r.StartedAt == nil || r.EndedAt.After(*r.StartedAt)):
		return *r.EndedAt
	case r.StartedAt != nil:
		return *r.StartedAt
	}
	return time.Time{}
}

// lateBy is how much later than t the run ends (0 when it does not, or has no times).
func lateBy(r *ParsedRun, t time.Time) time.Duration {
	latest := latestTime(r)
	if latest.IsZero() || !latest.After(t) {
		return 0
	}
	return latest.Sub(t)
}

// reportKey is the report's identity: its status and start and end as written in the
// report. A start at midnight without an end may be a date alone, which many runs
// share, so it gives no key.
func reportKey(r *ParsedRun) string {
	if r.StartedAt == nil {
		return ""
	}
	const wall = "2006-01-02 15:04:05"
	start := *r.StartedAt
	end := ""
	if r.EndedAt != nil {
		end = r.EndedAt.Format(wall)
	} else if h, mi, s := start.Clock(); h == 0 && mi == 0 && s == 0 {
		return ""
	}
	return r.Status + "|" + start.Format(wall) + "|" + end
}

// zoneName names a zone for a note: its IANA name, or its offset.
func zoneName(loc *time.Location) string {
	if name := loc.String(); name != "" && name != "Local" {
		return name
	}
	return time.Now().In(loc).Format("-0700")
}

// roughly writes a duration as a person would ("10 hours", "25 minutes").
func roughly(d time.Duration) string {
	if d >= 90*time.Minute {
		return fmt.Sprintf("%d hours", int(d.Round(time.Hour)/time.Hour))
	}
	n := int(d.Round(time.Minute) / time.Minute)
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}
