package overrides_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/overrides"
)

func TestSuggestMatch(t *testing.T) {
	long := ""
	for len(long) < 300 {
		long += "quota exceeded "
	}
	for _, tc := range []struct {
		name               string
		message            string
		objs               []overrides.ObjectError
		wantObject, wantTx string
	}{
		{"run message, no objects", "Repository quota exceeded", nil, "", "Repository quota exceeded"},
		{"first line of a long message", "\n  Disk full on repo01  \nDetails: 12 GB missing", nil, "", "Disk full on repo01"},
		{"one object failed: its error, scoped to it", "", []overrides.ObjectError{
			{Name: "vm01", Status: "Failed", Error: "Snapshot removal failed"}, {Name: "vm02", Status: "Success"}},
			"vm01", "Snapshot removal failed"},
		{"one object failed, run message kept", "1 of 2 VMs failed", []overrides.ObjectError{
			{Name: "vm01", Status: "Warning", Error: "Changed block tracking reset"}, {Name: "vm02", Status: "Success"}},
			"vm01", "1 of 2 VMs failed"},
		{"message carried by one of several failing objects", "Snapshot removal failed", []overrides.ObjectError{
			{Name: "vm01", Status: "Failed", Error: "Error: snapshot removal failed (timeout)"},
			{Name: "vm02", Status: "Failed", Error: "Disk full"}},
			"vm01", "Snapshot removal failed"},
		{"message of the run, several objects", "Job failed", []overrides.ObjectError{
			{Name: "vm01", Status: "Failed", Error: "Disk full"}, {Name: "vm02", Status: "Failed", Error: "Network"}},
			"", "Job failed"},
		{"several objects, one shared error", "", []overrides.ObjectError{
			{Name: "vm01", Status: "Failed", Error: "Repository offline"}, {Name: "vm02", Status: "Failed", Error: "repository offline"}},
			"", "Repository offline"},
		{"several objects, different errors: the worst", "", []overrides.ObjectError{
			{Name: "vm01", Status: "Failed", Error: "Disk full"}, {Name: "vm02", Status: "Warning", Error: "Slow"}},
			"vm01", "Disk full"},
		{"an error without a status counts", "", []overrides.ObjectError{{Name: "db01", Error: "Log truncation failed"}, {Name: "db02"}},
			"db01", "Log truncation failed"},
		{"nothing to match on", "", []overrides.ObjectError{{Name: "vm01", Status: "Success"}}, "", ""},
		{"cut to 200 characters", long, nil, "", strings.TrimSpace(long[:200])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			object, text := overrides.SuggestMatch(tc.message, tc.objs)
			if object != tc.wantObject || text != tc.wantTx {
				t.Fatalf("object %q text %q, want %q %q", object, text, tc.wantObject, tc.wantTx)
			}
		})
	}
}

// TestSuggestForRun: an override suggested from a run covers that job (and object), its
// status and error, for 30 days; saved as suggested, it matches that run and not a run
// of the job failing otherwise, nor one after its end.
func TestSuggestForRun(t *testing.T) {
	w := newWorld(t)
	run := w.run(w.veeam, "Failed", "", "Snapshot removal failed")
	loc, _ := time.LoadLocation("Europe/Amsterdam")
	now := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC) // 3 March in Amsterdam
	sg, err := overrides.SuggestForRun(ctx, w.d.Bun, run, loc, now)
	if err != nil {
		t.Fatal(err)
	}
	want := overrides.Input{Level: "object", JobID: itoa(w.veeam.ID), ObjectName: "srv-app01", MatchStatus: "Failed",
		MatchText: "Snapshot removal failed", MatchMode: overrides.ModeContains, ValidUntil: "2026-04-02", TreatAsSuccess: true}
	if sg.Input != want || sg.JobLabel != "Acme / Daily VMs" {
		t.Fatalf("suggestion %+v %q, want %+v", sg.Input, sg.JobLabel, want)
	}
	other := w.run(w.veeam, "Failed", "Repository offline", "")
	if _, err := overrides.Create(ctx, w.d.Bun, audit.Actor{Name: "test"}, sg.Input, loc, now); err != nil {
		t.Fatal(err)
	}
	if st, _ := effective(t, w.d.Bun, run); st != "Success" {
		t.Fatalf("the run it was suggested from is %s", st)
	}
	if st, _ := effective(t, w.d.Bun, other); st != "Failed" {
		t.Fatalf("a run of the job failing otherwise is %s: the suggestion silences every failure", st)
	}
	if _, err := overrides.SuggestForRun(ctx, w.d.Bun, 999999, loc, now); err == nil {
		t.Fatal("a missing run gave a suggestion")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
