package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
)

type reportIDs struct{ definition, task, file int64 }

// reportFixture adds a report definition for the customer, a finished report task and
// the file it built, for the route table's tests.
func reportFixture(t *testing.T, h *harness, customerID int64) reportIDs {
	t.Helper()
	ctx := context.Background()
	d, err := reports.SaveDefinition(ctx, h.db.Bun, audit.Actor{Name: "fixture"}, 0, reports.DefinitionInput{
		Name: "Fixture report", CustomerIDs: []int64{customerID}, Period: reports.PeriodLast30Days,
		ShowJobs: true, ShowGrid: true, ShowTrend: true, ShowFailures: true, Schedule: reports.ScheduleNone,
	}, time.Now(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	taskID, err := tasks.Insert(ctx, h.db.Pool, reports.TaskKind, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.Finish(ctx, h.db.Bun, taskID, "Built fixture.csv", nil); err != nil {
		t.Fatal(err)
	}
	f := &db.ReportFile{DefinitionID: &d.ID, TaskID: &taskID, Filename: "fixture.csv", ContentType: "text/csv; charset=utf-8",
		Size: 3, Data: []byte("a,b"), PeriodFrom: time.Now(), PeriodTo: time.Now(), ExpiresAt: time.Now().Add(100 * 24 * time.Hour)}
	if err := reports.StoreFile(ctx, h.db.Bun, f); err != nil {
		t.Fatal(err)
	}
	return reportIDs{definition: d.ID, task: taskID, file: f.ID}
}

// Reporters build and change reports; viewers read and download them; the preview
// shows the customer's figures, grid, trend and failures; PDF and CSV download.
func TestReports(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC) // a week after the test mails
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("admin", db.RoleAdmin)
	h.user("reporter", db.RoleReporter)
	h.user("viewer", db.RoleViewer)
	admin := h.client()
	admin.login("admin")
	jobID := approvedJob(t, h, admin, "Müller GmbH", "Nightly", 1, "Success", "Failed", "Warning")
	var customerID int64
	if err := h.db.Bun.NewRaw("SELECT customer_id FROM jobs WHERE id = ?", jobID).Scan(t.Context(), &customerID); err != nil {
		t.Fatal(err)
	}

	rep := h.client()
	rep.login("reporter")
	r := rep.get("/reports")
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#new-report").Length() != 1 || r.doc.Find(`nav.navbar a[href="/reports"]`).Length() != 1 {
		t.Fatal("a reporter sees no New report button or no Reports in the navbar")
	}
	// A bad form comes back with the messages beside the fields.
	r = rep.hx("POST", "/reports", url.Values{"name": {""}, "period": {"custom"}, "custom_from": {"2026-02-10"}, "custom_to": {"2026-02-01"},
		"schedule": {"none"}, "show_jobs": {"on"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.doc.Find("#f-name.is-invalid").Length() != 1 || !strings.Contains(r.body, "choose one or more customers") ||
		!strings.Contains(r.body, "is before the first day") {
		t.Fatalf("form errors not shown:\n%.2000s", r.body)
	}
	r = rep.hx("POST", "/reports", url.Values{"name": {"Monthly proof"}, "customer_ids": {fmt.Sprint(customerID)},
		"period": {"custom"}, "custom_from": {"2026-03-01"}, "custom_to": {"2026-03-08"}, "schedule": {"monthly"},
		"recipients": {"Müller GmbH: it@mueller.example"}, "show_jobs": {"on"}, "show_grid": {"on"}, "show_trend": {"on"}, "show_failures": {"on"}})
	if r.StatusCode != http.StatusNoContent || !strings.HasPrefix(r.Header.Get("HX-Redirect"), "/reports/") {
		t.Fatalf("create: %d %q\n%.1000s", r.StatusCode, r.Header.Get("HX-Redirect"), r.body)
	}
	page := r.Header.Get("HX-Redirect")

	view := h.client()
	view.login("viewer")
	r = view.get(page)
	wantStatus(t, r, http.StatusOK)
	if r.text("#report-customer-name") != "Müller GmbH" || r.text("#report-period") == "" {
		t.Fatalf("preview:\n%.3000s", r.body)
	}
	if got := r.text("#report-kpis"); !strings.Contains(got, "Runs3") || !strings.Contains(got, "Failed1") || !strings.Contains(got, "Warnings1") {
		t.Errorf("KPIs %q", got)
	}
	if r.doc.Find("#report-trend svg polyline").Length() == 0 && r.doc.Find("#report-trend svg circle").Length() == 0 {
		t.Error("no trend drawn")
	}
	if r.doc.Find("#report-grid td.text-bg-danger").Length() != 1 || r.doc.Find("#report-grid tbody tr").Length() != 1 {
		t.Errorf("grid:\n%s", r.doc.Find("#report-grid").Text())
	}
	if r.doc.Find("#report-failures tbody tr").Length() != 2 {
		t.Errorf("failures: %d rows", r.doc.Find("#report-failures tbody tr").Length())
	}
	if r.doc.Find("#edit-report").Length() != 0 || r.doc.Find("#download-pdf").Length() != 1 || r.doc.Find("#download-csv").Length() != 1 {
		t.Error("a viewer must see the downloads and no Edit")
	}
	for _, s := range []string{"[style]", "script:not([src])"} {
		if n := r.doc.Find(s).Length(); n != 0 {
			t.Errorf("%d elements %s on the preview (strict CSP)", n, s)
		}
	}
	// Downloads.
	pdf := view.get(strings.TrimPrefix(r.doc.Find("#download-pdf").AttrOr("href", ""), h.url))
	wantStatus(t, pdf, http.StatusOK)
	if pdf.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.body, "%PDF-") ||
		!strings.Contains(pdf.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("PDF download: %s %s", pdf.Header.Get("Content-Type"), pdf.Header.Get("Content-Disposition"))
	}
	csvResp := view.get(page + "/csv")
	wantStatus(t, csvResp, http.StatusOK)
	if !strings.HasPrefix(csvResp.body, "\uFEFFCustomer,Job,") || strings.Count(csvResp.body, "\r\n") != 4 {
		t.Errorf("CSV:\n%s", csvResp.body)
	}
	// The viewer may not change or delete it.
	id := strings.TrimPrefix(page, "/reports/")
	if r := view.hx("PUT", page, url.Values{"name": {"x"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("viewer PUT: %d", r.StatusCode)
	}
	if r := view.hx("POST", page+"/delete", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("viewer delete: %d", r.StatusCode)
	}
	// The reporter deletes it; the deletion is audited.
	wantStatus(t, rep.hx("POST", page+"/delete", nil), http.StatusOK)
	var actions []string
	if err := h.db.Bun.NewRaw("SELECT action FROM audit_log WHERE target = ? ORDER BY id", "report "+id).Scan(t.Context(), &actions); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "report.created,report.deleted" {
		t.Errorf("audit %v", actions)
	}
	wantStatus(t, view.get(page), http.StatusNotFound)
}

// Settings → Reporting: a PNG logo is accepted and served, anything else is refused
// beside the field.
func TestSettingsReporting(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	wantStatus(t, c.get("/settings/reporting"), http.StatusOK)
	send := func(logo []byte) *response {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for k, v := range map[string]string{"company_name": "Backup Dienst Köln", "accent_color": "#7A1FA8", "footer_text": "Vertraulich",
			"delivery_channel": "smtp", "smtp_host": "smtp.msp.example", "smtp_security": "starttls", "smtp_from": "reports@msp.example",
			"smtp_password": "pw", "file_retention_days": "14"} {
			_ = w.WriteField(k, v)
		}
		part, _ := w.CreateFormFile("logo", "logo.png")
		part.Write(logo)
		w.Close()
		req, _ := http.NewRequest("PUT", h.url+"/settings/reporting", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", c.csrf)
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return c.parse(resp, string(b))
	}
	r := send([]byte("GIF89a not a png"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "must be a PNG or JPEG") {
		t.Fatalf("no logo error:\n%.1500s", r.body)
	}
	img := image.NewRGBA(image.Rect(0, 0, 8, 4))
	var png8 bytes.Buffer
	_ = png.Encode(&png8, img)
	r = send(png8.Bytes())
	wantStatus(t, r, http.StatusOK)
	if r.text("#value-company_name") != "Backup Dienst Köln" || r.text("#value-accent_color") != "#7a1fa8" {
		t.Errorf("saved view:\n%.1500s", r.body)
	}
	logo := c.get("/reports/logo")
	if logo.StatusCode != http.StatusOK || logo.Header.Get("Content-Type") != "image/png" {
		t.Errorf("logo: %d %s", logo.StatusCode, logo.Header.Get("Content-Type"))
	}
	var stored []byte
	if err := h.db.Bun.NewRaw("SELECT smtp_password FROM report_settings").Scan(t.Context(), &stored); err != nil || len(stored) == 0 || bytes.Contains(stored, []byte("pw")) && len(stored) < 4 {
		t.Errorf("password stored as %q (%v)", stored, err)
	}
}
