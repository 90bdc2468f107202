package app

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/mail/graph/graphtest"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

// upload posts files to the Inbox as the upload form does (htmx, multipart).
func (c *client) upload(files map[string][]byte) *response {
	c.h.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for name, data := range files {
		part, _ := w.CreateFormFile("files", name)
		part.Write(data)
	}
	w.Close()
	req, _ := http.NewRequest("POST", c.h.url+"/inbox/upload", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return c.parse(resp, b.String())
}

func mailIDs(t *testing.T, h *harness, where string) []int64 {
	t.Helper()
	var ids []int64
	if err := h.db.Bun.NewRaw("SELECT id FROM mail_messages WHERE "+where+" ORDER BY id").Scan(context.Background(), &ids); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestInboxUploadApprove(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	c := h.client()
	c.login("ops")

	r := c.get("/inbox")
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#inbox-empty").Length() != 1 {
		t.Fatal("empty Inbox shows no explanation")
	}

	r = c.upload(map[string][]byte{
		"a.eml": parserstest.Mail(1, "Failed", "Nightly", "object: vm01 Failed disk full"),
		"b.eml": parserstest.Mail(2, "Success", "Nightly"),
		"c.eml": []byte("Subject: a broken mail\r\nContent-Type: multipart/mixed\r\n\r\nthis is no report\x00\x01"),
	})
	wantStatus(t, r, http.StatusOK)
	if got := r.doc.Find("#inbox-rows tr").Length(); got != 3 {
		t.Fatalf("%d rows after upload, want 3\n%s", got, r.body)
	}
	if !strings.Contains(r.text("#flash"), "3 files uploaded") || r.doc.Find("#inbox-rows .badge:contains('Unparsed')").Length() != 1 {
		t.Fatalf("upload summary or unparsed badge missing:\n%s", r.body)
	}
	// The same files again are recognised.
	r = c.upload(map[string][]byte{"a.eml": parserstest.Mail(1, "Failed", "Nightly", "object: vm01 Failed disk full")})
	if !strings.Contains(r.text("#flash"), "1 was already imported") {
		t.Fatalf("re-upload: %q", r.text("#flash"))
	}

	ids := mailIDs(t, h, "parsed_job_name = 'Nightly' AND subject LIKE '[Failed]%'")
	r = c.hx("GET", fmt.Sprintf("/inbox/%d", ids[0]), nil)
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#detail-objects td:contains('vm01')").Length() != 1 || r.doc.Find("#approve-form").Length() != 1 {
		t.Fatalf("mail dialog lacks objects or the approve form:\n%s", r.body)
	}
	// Viewers see the dialog but cannot approve.
	v := h.client()
	v.login("viewer")
	if vr := v.hx("GET", fmt.Sprintf("/inbox/%d", ids[0]), nil); vr.doc.Find("#approve-form").Length() != 0 {
		t.Fatal("viewer sees the approve form")
	}
	wantStatus(t, v.hx("POST", fmt.Sprintf("/inbox/%d/approve", ids[0]), url.Values{"customer_id": {"new"}, "customer_name": {"X"}}), http.StatusForbidden)

	// Approve without a customer: the form says so beside the field.
	r = c.hx("POST", fmt.Sprintf("/inbox/%d/approve", ids[0]), url.Values{"customer_id": {"new"}, "customer_name": {""}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.text(".invalid-feedback"), "customer") {
		t.Fatalf("no customer error:\n%s", r.body)
	}
	r = c.hx("POST", fmt.Sprintf("/inbox/%d/approve", ids[0]), url.Values{"customer_id": {"new"}, "customer_name": {"Acme Corp"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#flash"), "2 mails became runs") {
		t.Fatalf("approve flash: %q", r.text("#flash"))
	}
	if got := r.doc.Find("#inbox-rows tr").Length(); got != 1 {
		t.Fatalf("%d rows left after approving, want 1 (the unparsed mail)", got)
	}

	// The type-ahead finds the new customer by a substring.
	r = c.hx("GET", "/customers/typeahead?customer_name=me+co", nil)
	if r.doc.Find(`input[name="customer_id"][value!="new"]`).Length() != 1 || !strings.Contains(r.body, "Acme Corp") {
		t.Fatalf("type-ahead:\n%s", r.body)
	}

	// The dashboard counts the job and the runs to review.
	r = c.get("/")
	if fig := strings.ReplaceAll(r.text("#dashboard-figures"), " ", ""); !strings.Contains(fig, "Jobs1") || !strings.Contains(fig, "Runstoreview2") {
		t.Fatalf("dashboard: %q", r.text("#dashboard-figures"))
	}
	// A later mail of the job becomes a run on upload.
	r = c.upload(map[string][]byte{"d.eml": parserstest.Mail(3, "Warning", "Nightly")})
	if !strings.Contains(r.text("#flash"), "1 became a run of a known job") {
		t.Fatalf("known job upload: %q", r.text("#flash"))
	}
}

func TestInboxDeleteRestorePurgeAndEML(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("admin", db.RoleAdmin)
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("admin")
	raw := parserstest.Mail(1, "Success", "Weekly")
	c.upload(map[string][]byte{"a.eml": raw, "b.eml": parserstest.Mail(2, "Success", "Other")})
	ids := append(mailIDs(t, h, "parsed_job_name = 'Weekly'"), mailIDs(t, h, "parsed_job_name = 'Other'")...)

	r := c.get(fmt.Sprintf("/inbox/%d/eml", ids[0]))
	wantStatus(t, r, http.StatusOK)
	if r.body != string(raw) || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("EML download differs from the upload or is not an attachment: %v", r.Header)
	}

	r = c.hx("POST", "/inbox/delete", url.Values{"mail_ids": {fmt.Sprint(ids[0]), fmt.Sprint(ids[1])}})
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#inbox-empty").Length() != 1 {
		t.Fatal("Inbox not empty after deleting both")
	}
	o := h.client()
	o.login("ops")
	wantStatus(t, o.get("/inbox/deleted"), http.StatusForbidden)

	r = c.get("/inbox/deleted")
	if r.doc.Find(`input[name="mail_ids"]`).Length() != 2 {
		t.Fatalf("deleted mails page:\n%s", r.body)
	}
	r = c.hx("POST", "/inbox/restore", url.Values{"mail_ids": {fmt.Sprint(ids[0])}})
	wantStatus(t, r, http.StatusOK)
	r = c.hx("POST", "/inbox/purge", url.Values{"mail_ids": {fmt.Sprint(ids[1])}})
	wantStatus(t, r, http.StatusOK)
	if n := len(mailIDs(t, h, "true")); n != 1 {
		t.Fatalf("%d mails after purge, want 1", n)
	}
	if r := c.get("/audit"); !strings.Contains(r.body, "mail.purged") || !strings.Contains(r.body, "mail.restored") {
		t.Fatal("mail actions not audited")
	}
}

func TestSettingsImportsGraph(t *testing.T) {
	fake := graphtest.NewFakeServer(t)
	fake.AddFolder("Inbox/Processed")
	fake.AddMessage("Inbox", parserstest.Mail(1, "Success", "Nightly"), time.Now())
	fake.AddMessage("Inbox", parserstest.Mail(2, "Failed", "Nightly"), time.Now())
	h := newHarness(t, Options{Registry: parserstest.Registry()}, func(c *config.Config) {
		c.GraphLoginURL, c.GraphURL = fake.URL, fake.URL+"/v1.0"
	})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")

	form := url.Values{"mail_source": {"graph"}, "mail_import_interval_minutes": {"0"}, "mail_import_batch_size": {"50"},
		"graph_tenant_id": {fake.TenantID}, "graph_client_id": {"not-a-guid"}, "graph_client_secret": {""},
		"graph_mailbox": {fake.Mailbox}, "graph_source_folder": {"Inbox"}, "graph_processed_folder": {"Inbox/Processed"},
		"imap_security": {"tls"}, "imap_folder": {"INBOX"}}
	r := c.hx("PUT", "/settings/imports", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for _, f := range []string{"mail_import_interval_minutes", "graph_client_id", "graph_client_secret"} {
		if r.text("#f-"+f+"-error") == "" {
			t.Errorf("no error beside %s", f)
		}
	}
	form.Set("mail_import_interval_minutes", "15")
	form.Set("graph_client_id", fake.ClientID)
	form.Set("graph_client_secret", fake.ClientSecret)
	r = c.hx("PUT", "/settings/imports", form)
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, fake.ClientSecret) || !strings.Contains(r.text("#value-graph_client_secret"), "set") {
		t.Fatal("the secret is rendered back, or not shown as set")
	}
	s, _ := settings.Load(context.Background(), h.db.Bun)
	if bytes.Contains(s.GraphClientSecret, []byte(fake.ClientSecret)) || len(s.GraphClientSecret) == 0 {
		t.Fatal("the secret is not stored encrypted")
	}
	// Saving again without typing the secret keeps it.
	form.Set("graph_client_secret", "")
	wantStatus(t, c.hx("PUT", "/settings/imports", form), http.StatusOK)
	s2, _ := settings.Load(context.Background(), h.db.Bun)
	if !bytes.Equal(s.GraphClientSecret, s2.GraphClientSecret) {
		t.Fatal("an empty secret field overwrote the stored secret")
	}
	if r := c.get("/audit"); !strings.Contains(r.body, "graph_client_secret") || strings.Contains(r.body, fake.ClientSecret) {
		t.Fatal("secret change not audited, or audited in clear")
	}

	r = c.hx("POST", "/settings/imports/test", nil)
	if !strings.Contains(r.text("#imports-test-result"), "2 mails waiting") {
		t.Fatalf("test connection: %q", r.text("#imports-test-result"))
	}

	// Import now runs as a River job; its task reports progress until done.
	r = c.hx("POST", "/settings/imports/run", nil)
	wantStatus(t, r, http.StatusOK)
	r = c.waitTask(r)
	if !strings.Contains(r.text("#task-message"), "2 new") {
		t.Fatalf("finished task says %q", r.text("#task-message"))
	}
	if n := len(fake.Messages("Inbox/Processed")); n != 2 {
		t.Fatalf("%d messages moved to Processed, want 2", n)
	}
	if r := c.get("/settings/imports"); !strings.Contains(r.text("#value-last-import"), "2 fetched") {
		t.Fatalf("last import: %q", r.text("#value-last-import"))
	}
}

func TestReparseAllTask(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("admin", db.RoleAdmin)
	raw := parserstest.Mail(1, "Success", "Nightly")
	r0, _ := mail.Reduce(bytes.NewReader(raw), mail.DefaultLimits)
	if _, err := ingest.StoreBatch(context.Background(), h.db.Bun, parserstest.Registry(), db.SourceCLI,
		[]mail.Message{{SourceID: "x", Raw: r0.Raw, Size: r0.Size}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	c.login("admin")
	r := c.hx("POST", "/inbox/reparse", nil)
	wantStatus(t, r, http.StatusOK)
	r = c.waitTask(r)
	if !strings.Contains(r.text("#task-message"), "Re-parsed 1 mails") {
		t.Fatalf("re-parse result: %q", r.text("#task-message"))
	}
}

// waitTask follows the live progress fragment in r, as the page's polling does, until
// the task is done, and returns its last rendering; a failed or stuck task fails the test.
func (c *client) waitTask(r *response) *response {
	c.h.t.Helper()
	if st, _ := r.doc.Find("[data-task-status]").Attr("data-task-status"); st == "done" {
		return r // the work was done before its progress was first shown
	}
	url, ok := r.doc.Find("[hx-get^='/tasks/']").Attr("hx-get")
	if !ok {
		c.h.t.Fatalf("no live progress:\n%s", r.body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r = c.hx("GET", url, nil)
		st, _ := r.doc.Find("[data-task-status]").Attr("data-task-status")
		switch {
		case st == "done":
			return r
		case st == "failed" || st == "interrupted" || time.Now().After(deadline):
			c.h.t.Fatalf("task %s: %s", st, r.text("#task-message"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
