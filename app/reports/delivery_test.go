package reports_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/mail/graph"
	"github.com/backupchecks/backupchecks/app/mail/graph/graphtest"
	"github.com/backupchecks/backupchecks/app/outbound"
	"github.com/backupchecks/backupchecks/app/reports"
)

// scheduled saves a monthly definition for Müller and Łódź, planned from Feb 10.
func scheduled(t *testing.T, f *fixture, recipients string) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := f.d.Bun.ExecContext(ctx, "UPDATE system_settings SET ui_timezone = 'Europe/Amsterdam'"); err != nil {
		t.Fatal(err)
	}
	d, err := reports.SaveDefinition(ctx, f.d.Bun, audit.Actor{ID: f.userID, Name: "rep"}, 0, reports.DefinitionInput{
		Name: "Monthly proof", CustomerIDs: []int64{f.muller, f.lodz}, Period: reports.PeriodPreviousMonth,
		ShowJobs: true, ShowGrid: true, ShowTrend: true, ShowFailures: true, Schedule: reports.ScheduleMonthly,
		Recipients: recipients,
	}, time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC), f.loc)
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func TestPlanDeliveries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := scheduled(t, f, "Müller GmbH: it@mueller.example, CFO@mueller.example\nops@msp.example")
	// Still February: nothing is due.
	ids, err := reports.PlanDeliveries(ctx, f.d.Bun, reports.ChannelGraph, time.Date(2026, 2, 28, 22, 0, 0, 0, time.UTC), f.loc)
	if err != nil || len(ids) != 0 {
		t.Fatalf("February 28: %v %v, want nothing due", ids, err)
	}
	// March 1st local (Feb 28 23:30 UTC): February is due, once.
	now := time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC)
	ids, err = reports.PlanDeliveries(ctx, f.d.Bun, reports.ChannelGraph, now, f.loc)
	if err != nil || len(ids) != 2 {
		t.Fatalf("March 1: %v %v, want two deliveries", ids, err)
	}
	if again, err := reports.PlanDeliveries(ctx, f.d.Bun, reports.ChannelGraph, now, f.loc); err != nil || len(again) != 0 {
		t.Fatalf("planned twice: %v %v", again, err)
	}
	ds, err := reports.Deliveries(ctx, f.d.Bun, id, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range ds {
		got[d.CustomerName] = strings.Join(d.Recipients, " ") + " " + d.PeriodFrom.Format("2006-01-02") + ".." + d.PeriodTo.Format("2006-01-02")
	}
	if got["Müller GmbH"] != "CFO@mueller.example it@mueller.example ops@msp.example 2026-02-01..2026-02-28" ||
		got["Łódź Logistics"] != "ops@msp.example 2026-02-01..2026-02-28" {
		t.Errorf("deliveries %v", got)
	}
	var next time.Time
	if err := f.d.Bun.NewRaw("SELECT next_period_from FROM report_definitions WHERE id = ?", id).Scan(ctx, &next); err != nil || next.Format("2006-01-02") != "2026-03-01" {
		t.Errorf("next period %s %v, want 2026-03-01", next, err)
	}
}

// Graph sendMail: a failed attempt is recorded as retrying and returned (the River job
// retries it); the next one sends the PDF to the customer, the MSP copy in Bcc.
func TestSendDeliveryGraph(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	scheduled(t, f, "Müller GmbH: it@mueller.example\nops@msp.example")
	now := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	ids, err := reports.PlanDeliveries(ctx, f.d.Bun, reports.ChannelGraph, now, f.loc)
	if err != nil || len(ids) != 2 {
		t.Fatalf("%v %v", ids, err)
	}
	fake := graphtest.NewFakeServer(t)
	cfg := fake.Config("", "")
	cfg.MaxRetries = -1 // the delivery's own retries are under test
	sender, err := graph.NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mailer := outbound.GraphMailer{Sender: sender}
	var muller int64
	if err := f.d.Bun.NewRaw("SELECT id FROM report_deliveries WHERE customer_name = 'Müller GmbH'").Scan(ctx, &muller); err != nil {
		t.Fatal(err)
	}

	fake.FailNext(1, http.StatusServiceUnavailable)
	if err := reports.SendDelivery(ctx, f.d.Bun, mailer, muller, 1, now); err == nil {
		t.Fatal("a refused sendMail reported success")
	}
	wantDelivery(t, f, muller, "retrying", 1)
	if err := reports.SendDelivery(ctx, f.d.Bun, mailer, muller, 2, now); err != nil {
		t.Fatal(err)
	}
	wantDelivery(t, f, muller, "sent", 2)
	sent := fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d mails sent", len(sent))
	}
	m := sent[0]
	if strings.Join(m.To, ",") != "it@mueller.example" || strings.Join(m.Bcc, ",") != "ops@msp.example" ||
		m.Subject != "Backup report Müller GmbH · 2026-02-01 – 2026-02-28" || len(m.Attachments) != 1 {
		t.Fatalf("mail %+v", m)
	}
	text := strings.Join(pdfText(t, m.Attachments[0].Data), "\n")
	if !strings.Contains(text, "Müller GmbH") || !strings.Contains(text, "Nightly VMs") {
		t.Errorf("attached PDF:\n%s", text)
	}
	// Sent is final: a retry of the job sends nothing again.
	if err := reports.SendDelivery(ctx, f.d.Bun, mailer, muller, 3, now); err != nil || len(fake.Sent()) != 1 {
		t.Errorf("resent: %v, %d mails", err, len(fake.Sent()))
	}

	// The last attempt failing marks the delivery failed, audited with the reason.
	var lodz int64
	if err := f.d.Bun.NewRaw("SELECT id FROM report_deliveries WHERE customer_name = 'Łódź Logistics'").Scan(ctx, &lodz); err != nil {
		t.Fatal(err)
	}
	fake.FailNext(1, http.StatusForbidden)
	if err := reports.SendDelivery(ctx, f.d.Bun, mailer, lodz, reports.MaxAttempts, now); err == nil {
		t.Fatal("no error")
	}
	wantDelivery(t, f, lodz, "failed", reports.MaxAttempts)
	var actions []string
	if err := f.d.Bun.NewRaw("SELECT action FROM audit_log WHERE action LIKE 'report.%' ORDER BY id").Scan(ctx, &actions); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "report.created,report.delivered,report.delivery_failed" {
		t.Errorf("audit %v", actions)
	}
}

func wantDelivery(t *testing.T, f *fixture, id int64, status string, attempts int) {
	t.Helper()
	var got struct {
		Status    string
		Attempts  int
		LastError string
	}
	if err := f.d.Bun.NewRaw("SELECT status, attempts, last_error FROM report_deliveries WHERE id = ?", id).Scan(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != status || got.Attempts != attempts || (status != "sent") != (got.LastError != "") {
		t.Errorf("delivery %d: %+v, want %s after %d attempts", id, got, status, attempts)
	}
}

func TestRetryDelay(t *testing.T) {
	for n, want := range map[int]time.Duration{1: time.Minute, 2: 5 * time.Minute, 3: 25 * time.Minute} {
		if got := reports.RetryDelay(n); got != want {
			t.Errorf("retry %d: %s, want %s", n, got, want)
		}
	}
}
