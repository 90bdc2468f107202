package app

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/autotask/autotasktest"
	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

func TestSettingsAutotask(t *testing.T) {
	fake := autotasktest.NewServer(t)
	fake.AddCompany("Acme", true)
	h := newHarness(t, Options{}, func(c *config.Config) { c.AutotaskZoneURLs = fake.Config().ZoneLookupURLs })
	h.user("admin", db.RoleAdmin)
	h.user("op", db.RoleOperator)
	c := h.client()
	c.login("admin")

	// Testing before anything is saved says what is missing instead of calling out.
	r := c.hx("POST", "/settings/integrations/autotask/test", nil)
	if !strings.Contains(r.text("#autotask-test-result"), "enter and save the API user name") {
		t.Fatalf("test without credentials: %q", r.text("#autotask-test-result"))
	}

	form := url.Values{"autotask_enabled": {"on"}, "autotask_environment": {"staging"}, "autotask_username": {"not a user"},
		"autotask_secret": {""}, "autotask_integration_code": {""}, "autotask_base_url": {"ftp://x"}}
	r = c.hx("PUT", "/settings/integrations/autotask", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for _, f := range []string{"autotask_environment", "autotask_username", "autotask_secret", "autotask_integration_code", "autotask_base_url"} {
		if r.text("#f-"+f+"-error") == "" {
			t.Errorf("no error beside %s", f)
		}
	}
	if r.doc.Find(`#f-autotask_username`).AttrOr("value", "") != "not a user" {
		t.Error("the form lost what was typed")
	}

	form.Set("autotask_environment", "sandbox")
	form.Set("autotask_username", autotasktest.Username)
	form.Set("autotask_secret", "wrong-secret")
	form.Set("autotask_integration_code", autotasktest.IntegrationCode)
	form.Set("autotask_base_url", "https://backupchecks.example.com/")
	r = c.hx("PUT", "/settings/integrations/autotask", form)
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, "wrong-secret") || strings.Contains(r.body, autotasktest.IntegrationCode) ||
		!strings.Contains(r.text("#value-autotask_secret"), "(set)") {
		t.Fatal("a secret is rendered back, or not shown as set")
	}
	if got := r.text("#value-autotask_base_url"); got != "https://backupchecks.example.com" {
		t.Fatalf("base URL saved as %q", got)
	}
	s, _ := settings.Load(context.Background(), h.db.Bun)
	if bytes.Contains(s.AutotaskSecret, []byte("wrong-secret")) || len(s.AutotaskIntegrationCode) == 0 {
		t.Fatal("secrets are not stored encrypted")
	}

	// Wrong secret: Autotask's 401 is shown as a credentials problem and remembered.
	r = c.hx("POST", "/settings/integrations/autotask/test", nil)
	if got := r.text("#autotask-test-result"); !strings.Contains(got, "Connection failed") || !strings.Contains(got, "credentials rejected") {
		t.Fatalf("test with a wrong secret: %q", got)
	}
	if got := c.get("/settings/integrations").text("#value-autotask_check"); !strings.Contains(got, "failed") {
		t.Fatalf("last test: %q", got)
	}

	// Correct the secret only; an empty integration code field keeps the stored one.
	form.Set("autotask_secret", autotasktest.Secret)
	form.Set("autotask_integration_code", "")
	wantStatus(t, c.hx("PUT", "/settings/integrations/autotask", form), http.StatusOK)
	if got := c.get("/settings/integrations").text("#value-autotask_check"); got != "never" {
		t.Fatalf("a new secret kept the old test result: %q", got)
	}
	r = c.hx("POST", "/settings/integrations/autotask/test", nil)
	if got := r.text("#autotask-test-result"); !strings.Contains(got, "Connected") || !strings.Contains(got, "Fake Zone") || !strings.Contains(got, "sandbox") {
		t.Fatalf("test connection: %q", got)
	}
	if got := c.get("/settings/integrations").text("#value-autotask_check"); !strings.Contains(got, "connected to zone Fake Zone") {
		t.Fatalf("last test: %q", got)
	}

	// Ticket defaults come from the tenant's picklists.
	r = c.hx("POST", "/settings/integrations/autotask/reference", nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#value-autotask_reference"), "refreshed") {
		t.Fatalf("reference data: %q", r.text("#value-autotask_reference"))
	}
	r = c.hx("GET", "/settings/integrations/autotask/edit", nil)
	if n := r.doc.Find("#f-autotask_queue_id option").Length(); n != 3 { // none + the two active queues
		t.Fatalf("%d queue options, want 3", n)
	}
	form.Set("autotask_queue_id", "29683400") // inactive: not offered, not accepted
	form.Set("autotask_priority_id", "2")
	form.Set("autotask_status_id", "1")
	form.Set("autotask_source_id", "4")
	r = c.hx("PUT", "/settings/integrations/autotask", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.text("#f-autotask_queue_id-error") == "" {
		t.Fatal("no error beside an unknown queue")
	}
	form.Set("autotask_queue_id", "29683354")
	r = c.hx("PUT", "/settings/integrations/autotask", form)
	wantStatus(t, r, http.StatusOK)
	for id, want := range map[string]string{"queue": "Monitoring Alert", "priority": "Medium", "status": "New", "source": "Monitoring Alert"} {
		if got := r.text("#value-autotask_" + id + "_id"); got != want {
			t.Errorf("ticket %s shows %q, want %q", id, got, want)
		}
	}

	if r := c.get("/audit"); !strings.Contains(r.body, "autotask_secret") || strings.Contains(r.body, autotasktest.Secret) {
		t.Fatal("secret change not audited, or audited in clear")
	}

	// Operators do not see or change the connection.
	op := h.client()
	op.login("op")
	wantStatus(t, op.get("/settings/integrations"), http.StatusForbidden)
	wantStatus(t, op.hx("POST", "/settings/integrations/autotask/test", nil), http.StatusForbidden)
}
