package parsers

import (
	"strings"
	"testing"
	"time"
)

// clockParser reads "start=2006-01-02 15:04:05 end=…" from the body in the sender's
// zone, as the vendor parsers read their zone-less report times.
type clockParser struct{}

func (clockParser) Info() Info         { return Info{Name: "clock", Enabled: true} }
func (clockParser) Match(m *Mail) bool { return strings.HasPrefix(m.Text, "start=") }
func (clockParser) Parse(m *Mail) (*ParsedRun, error) {
	run := &ParsedRun{JobName: "Nightly", Status: StatusSuccess}
	for _, f := range strings.Split(m.Text, ";") {
		k, v, _ := strings.Cut(f, "=")
		t, err := time.ParseInLocation("2006-01-02 15:04:05", v, m.SenderLocation())
		if err != nil {
			continue
		}
		switch k {
		case "start":
			run.StartedAt = &t
		case "end":
			run.EndedAt = &t
		}
	}
	return run, nil
}

func TestReportTimesFitTheMail(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	zone := func(h int) *time.Location { return time.FixedZone("", h*3600) }
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	report := "start=2026-10-05 21:00:00;end=2026-10-05 21:03:35"
	for _, tc := range []struct {
		name          string
		subject, text string
		date          time.Time
		zoneUnknown   bool
		received      time.Time
		fallback      *time.Location
		wantStart     string // RFC 3339
		wantEnd       string
		wantNote      []string // each must be in the note; none means no note
	}{
		{name: "the Date's offset is the sender's", text: report,
			date: at("2026-10-05T21:03:36+03:00"), received: at("2026-10-05T18:03:50Z"), fallback: ams,
			wantStart: "2026-10-05T21:00:00+03:00", wantEnd: "2026-10-05T21:03:35+03:00"},
		{name: "a relay's offset would date the run after its mail: read in the UI zone, then dated at arrival", text: report,
			date: at("2026-10-05T11:03:36-07:00"), received: at("2026-10-05T18:03:50Z"), fallback: ams,
			wantStart: "2026-10-05T20:03:50+02:00", wantEnd: "2026-10-05T20:03:50+02:00",
			wantNote: []string{"read in Europe/Amsterdam", "(-0700)", "10 hours", "Dated when the mail arrived (5 Oct 20:03)", "up to 5 Oct 21:03"}},
		{name: "a forwarded copy's Date is the forwarder's: read in the UI zone", subject: "Fwd: [Success] Nightly", text: report,
			date: at("2026-10-06T00:06:13+02:00"), received: at("2026-10-05T22:06:20Z"), fallback: ams,
			wantStart: "2026-10-05T21:00:00+02:00", wantEnd: "2026-10-05T21:03:35+02:00"},
		{name: "a Date of -0000 names no zone", text: report, zoneUnknown: true,
			date: at("2026-10-05T23:10:00Z"), received: at("2026-10-05T23:10:05Z"), fallback: ams,
			wantStart: "2026-10-05T21:00:00+02:00", wantEnd: "2026-10-05T21:03:35+02:00"},
		{name: "a Date after the mail arrived is a wrong clock", text: report,
			date: at("2026-10-06T01:00:00+05:00"), received: at("2026-10-05T19:30:00Z"), fallback: ams,
			wantStart: "2026-10-05T21:00:00+02:00", wantEnd: "2026-10-05T21:03:35+02:00"},
		{name: "no Date and no UI zone: UTC", text: report, received: at("2026-10-05T22:00:00Z"),
			wantStart: "2026-10-05T21:00:00Z", wantEnd: "2026-10-05T21:03:35Z"},
		{name: "seconds of clock skew: dated at arrival without a note", text: "start=2026-10-05 21:00:00;end=2026-10-05 21:03:35",
			date: at("2026-10-05T21:03:36+02:00"), received: at("2026-10-05T19:03:20Z"), fallback: ams,
			wantStart: "2026-10-05T21:00:00+02:00", wantEnd: "2026-10-05T21:03:20+02:00"},
		{name: "the UI zone would be later still: the Date's offset stays, dated at arrival", text: report,
			date: at("2026-10-05T20:03:36+08:00"), received: at("2026-10-05T12:03:50Z"), fallback: zone(-5),
			wantStart: "2026-10-05T20:03:50+08:00", wantEnd: "2026-10-05T20:03:50+08:00",
			wantNote: []string{"Dated when the mail arrived (5 Oct 20:03)", "up to 5 Oct 21:03"}},
		{name: "a start only, after the mail", text: "start=2026-10-05 23:00:00",
			date: at("2026-10-05T21:03:36+02:00"), received: at("2026-10-05T19:03:50Z"), fallback: ams,
			wantStart: "2026-10-05T21:03:50+02:00", wantNote: []string{"up to 5 Oct 23:00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			subject := tc.subject
			if subject == "" {
				subject = "[Success] Nightly"
			}
			reg := NewRegistry(clockParser{}).In(tc.fallback)
			res := reg.Parse(&Mail{Subject: subject, Text: tc.text, Date: tc.date, DateZoneUnknown: tc.zoneUnknown, Received: tc.received})
			if res.Run == nil {
				t.Fatalf("no run: %+v", res)
			}
			r := res.Run
			if got := format(r.StartedAt); got != tc.wantStart {
				t.Errorf("start = %s, want %s", got, tc.wantStart)
			}
			if got := format(r.EndedAt); got != tc.wantEnd {
				t.Errorf("end = %s, want %s", got, tc.wantEnd)
			}
			if len(tc.wantNote) == 0 && r.TimeNote != "" {
				t.Errorf("note = %q, want none", r.TimeNote)
			}
			for _, w := range tc.wantNote {
				if !strings.Contains(r.TimeNote, w) {
					t.Errorf("note %q lacks %q", r.TimeNote, w)
				}
			}
			if r.StartedAt != nil && r.StartedAt.After(tc.received) {
				t.Errorf("the run starts at %s, after its mail arrived at %s", r.StartedAt, tc.received)
			}
			// The key is the report's own clock times, whichever zone they were read in.
			start, end, _ := strings.Cut(strings.TrimPrefix(tc.text, "start="), ";end=")
			if want := "Success|" + start + "|" + end; r.ReportKey != want {
				t.Errorf("key = %q, want %q", r.ReportKey, want)
			}
		})
	}
}

func format(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

func TestReportKey(t *testing.T) {
	at := func(s string) *time.Time {
		v, err := time.Parse("2006-01-02 15:04:05 -0700", s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	for _, tc := range []struct {
		name string
		run  ParsedRun
		want string
	}{
		{"start and end", ParsedRun{Status: StatusFailed, StartedAt: at("2026-03-03 22:00:00 +0100"), EndedAt: at("2026-03-03 22:04:12 +0100")},
			"Failed|2026-03-03 22:00:00|2026-03-03 22:04:12"},
		{"the zone does not count", ParsedRun{Status: StatusFailed, StartedAt: at("2026-03-03 22:00:00 -0700"), EndedAt: at("2026-03-03 22:04:12 -0700")},
			"Failed|2026-03-03 22:00:00|2026-03-03 22:04:12"},
		{"a start alone", ParsedRun{Status: StatusSuccess, StartedAt: at("2026-03-03 22:00:00 +0100")}, "Success|2026-03-03 22:00:00|"},
		{"midnight and no end may be a date alone", ParsedRun{Status: StatusSuccess, StartedAt: at("2026-03-03 00:00:00 +0100")}, ""},
		{"midnight with an end", ParsedRun{Status: StatusSuccess, StartedAt: at("2026-03-03 00:00:00 +0100"), EndedAt: at("2026-03-03 00:10:00 +0100")},
			"Success|2026-03-03 00:00:00|2026-03-03 00:10:00"},
		{"no start", ParsedRun{Status: StatusSuccess, EndedAt: at("2026-03-03 00:10:00 +0100")}, ""},
	} {
		if got := reportKey(&tc.run); got != tc.want {
			t.Errorf("%s: key = %q, want %q", tc.name, got, tc.want)
		}
	}
}
