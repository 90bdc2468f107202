package jobs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/backupchecks/backupchecks/app/logctx"
	"github.com/backupchecks/backupchecks/app/metrics"
)

func TestJobOutcome(t *testing.T) {
	job := &rivertype.JobRow{Attempt: 1, MaxAttempts: 3}
	last := &rivertype.JobRow{Attempt: 3, MaxAttempts: 3}
	for _, tc := range []struct {
		job  *rivertype.JobRow
		err  error
		want string
	}{
		{job, nil, metrics.OutcomeCompleted},
		{job, errors.New("boom"), metrics.OutcomeFailed},
		{last, errors.New("boom"), metrics.OutcomeDiscarded},
		{job, river.JobCancel(errors.New("stop")), metrics.OutcomeCancelled},
		{job, river.JobSnooze(time.Minute), metrics.OutcomeSnoozed},
	} {
		if got := jobOutcome(tc.job, tc.err); got != tc.want {
			t.Errorf("jobOutcome(%d/%d, %v) = %s, want %s", tc.job.Attempt, tc.job.MaxAttempts, tc.err, got, tc.want)
		}
	}
}

// TestObserveMiddlewareLogs: the worker's own log lines carry the job's id, and a
// failed attempt is logged once with its arguments, secrets redacted.
func TestObserveMiddlewareLogs(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(logctx.NewHandler(slog.NewTextHandler(&buf, nil))))
	defer slog.SetDefault(prev)

	job := &rivertype.JobRow{ID: 42, Kind: "mail_import", Attempt: 1, MaxAttempts: 5,
		EncodedArgs: []byte(`{"task_id":7,"client_secret":"s3cr3t"}`)}
	err := observeMiddleware{}.Work(context.Background(), job, func(ctx context.Context) error {
		slog.InfoContext(ctx, "working")
		return errors.New("mailbox unreachable")
	})
	if err == nil || err.Error() != "mailbox unreachable" {
		t.Fatalf("middleware returned %v, want the worker's error", err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got:\n%s", out)
	}
	for _, want := range []string{"job_id=42", "job_kind=mail_import", "attempt=1"} {
		if !strings.Contains(lines[0], want) || !strings.Contains(lines[1], want) {
			t.Errorf("%q missing:\n%s", want, out)
		}
	}
	if !strings.Contains(lines[1], `task_id`) || strings.Contains(out, "s3cr3t") || !strings.Contains(lines[1], "mailbox unreachable") {
		t.Errorf("failure line should carry the error and the redacted args:\n%s", lines[1])
	}
}
