package jobs

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// River's rescuer must not take a live job for a lost one, and must not leave a killed
// one "running" much longer than the longest job may run.
func TestSecurityRescueWindowFollowsTimeouts(t *testing.T) {
	timeouts := map[string]time.Duration{
		"mail_import":     (&MailImportWorker{}).Timeout(&river.Job[MailImportArgs]{}),
		"mail_reparse":    (&MailReparseWorker{}).Timeout(&river.Job[MailReparseArgs]{}),
		"missed_runs":     (&MissedRunsWorker{}).Timeout(&river.Job[MissedRunsArgs]{}),
		"autotask_sync":   (&AutotaskSyncWorker{}).Timeout(&river.Job[AutotaskSyncArgs]{}),
		"report_generate": (&ReportGenerateWorker{}).Timeout(&river.Job[ReportGenerateArgs]{}),
		"report_deliver":  (&ReportDeliverWorker{}).Timeout(&river.Job[ReportDeliverArgs]{}),
		"default":         defaultJobTimeout,
	}
	longest := time.Duration(0)
	for kind, d := range timeouts {
		if d <= 0 {
			t.Errorf("%s: no timeout", kind)
		}
		if d >= rescueStuckJobsAfter {
			t.Errorf("%s: timeout %s is not below the rescue window %s", kind, d, rescueStuckJobsAfter)
		}
		longest = max(longest, d)
	}
	if rescueStuckJobsAfter > longest+2*time.Minute {
		t.Errorf("rescue window %s is far past the longest timeout %s", rescueStuckJobsAfter, longest)
	}
}
