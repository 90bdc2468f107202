package parsers_test

import (
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/parsers"
)

// A Veeam Agent report whose Date header carries a relay's offset (-0700) and the same
// report forwarded the next night: the run is never dated after the mail that reports
// it, and both copies are the same report.
func TestRelayOffsetAndForwardedCopy(t *testing.T) {
	reg := parsers.Default().In(amsterdam(t))
	orig := fixtureMail(t, "testdata/veeam/agent-windows-relay-offset.eml")
	fwd := fixtureMail(t, "testdata/veeam/agent-windows-relay-offset-forward.eml")
	a, b := reg.Parse(orig).Run, reg.Parse(fwd).Run
	if a == nil || b == nil {
		t.Fatalf("not parsed: %+v %+v", a, b)
	}
	if a.StartedAt.After(orig.Received) || a.EndedAt.After(orig.Received) {
		t.Errorf("the run (%s–%s) is later than its mail (%s)", a.StartedAt, a.EndedAt, orig.Received)
	}
	if day := a.StartedAt.In(amsterdam(t)).Format("2006-01-02"); day != "2026-10-05" {
		t.Errorf("the run is on %s, want the day the job ran", day)
	}
	if a.TimeNote == "" {
		t.Error("the moved run carries no note")
	}
	if want := time.Date(2026, 10, 5, 21, 0, 0, 0, amsterdam(t)); !b.StartedAt.Equal(want) {
		t.Errorf("the forwarded copy starts at %s, want %s", b.StartedAt, want)
	}
	if a.ReportKey == "" || a.ReportKey != b.ReportKey || a.JobName != b.JobName {
		t.Errorf("the copies are not the same report: %q %q / %q %q", a.ReportKey, a.JobName, b.ReportKey, b.JobName)
	}
}
