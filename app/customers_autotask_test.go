package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/autotask/autotasktest"
	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/db"
)

func TestCustomerAutotaskMapping(t *testing.T) {
	fake := autotasktest.NewServer(t)
	acme := fake.AddCompany("Acme Holding", true)
	fake.AddCompany("Acme Old", false)
	globex := fake.AddCompany("Globex", true)
	fake.AddCompany("Initech", true)
	h := newHarness(t, Options{}, func(c *config.Config) { c.AutotaskZoneURLs = fake.Config().ZoneLookupURLs })
	h.user("admin", db.RoleAdmin)
	h.user("op", db.RoleOperator)
	ctx := context.Background()
	cAcme, _ := customers.Add(ctx, h.db.Bun, audit.Actor{Name: "test"}, "Acme", true)
	cGlobex, _ := customers.Add(ctx, h.db.Bun, audit.Actor{Name: "test"}, "Globex", true)
	cInitech, _ := customers.Add(ctx, h.db.Bun, audit.Actor{Name: "test"}, "Initech", true)
	acmeURL := "/customers/" + fmt.Sprint(cAcme.ID)

	op := h.client()
	op.login("op")
	// Without the integration there is nothing to map with.
	if op.get("/customers").doc.Find(".customer-autotask").Length() != 0 {
		t.Fatal("Autotask buttons shown while the integration is off")
	}
	if r := op.hx("GET", acmeURL+"/autotask", nil); !strings.Contains(r.text(".autotask-error"), "not enabled") {
		t.Fatalf("mapping without the integration: %q", r.text(".autotask-error"))
	}

	admin := h.client()
	admin.login("admin")
	wantStatus(t, admin.hx("PUT", "/settings/integrations/autotask", url.Values{"autotask_enabled": {"on"}, "autotask_environment": {"production"},
		"autotask_username": {autotasktest.Username}, "autotask_secret": {autotasktest.Secret},
		"autotask_integration_code": {autotasktest.IntegrationCode}, "autotask_base_url": {"https://bc.example.com"}}), http.StatusOK)

	// Opening the panel searches for the customer's own name; active companies first.
	r := op.hx("GET", acmeURL+"/autotask", nil)
	wantStatus(t, r, http.StatusOK)
	items := r.doc.Find(".autotask-results li")
	if items.Length() != 2 || !strings.Contains(items.First().Text(), "Acme Holding") {
		t.Fatalf("search results: %q", r.text(".autotask-results"))
	}
	if _, ok := items.Last().Find("button.autotask-map").Attr("disabled"); !ok {
		t.Fatal("an inactive company can be mapped")
	}
	if r := op.hx("GET", acmeURL+"/autotask?q=nothing-like-this", nil); r.text(".autotask-none") == "" {
		t.Fatal("an empty search says nothing")
	}

	// Map: the row shows the company and "ok".
	r = op.hx("PUT", acmeURL+"/autotask", url.Values{"company_id": {fmt.Sprint(acme)}})
	wantStatus(t, r, http.StatusOK)
	if got := r.text(".customer-autotask-mapping"); got != "Autotask: Acme Holding ok" {
		t.Fatalf("mapped row: %q", got)
	}
	for _, m := range []struct {
		id, company int64
	}{{cGlobex.ID, globex}} {
		wantStatus(t, op.hx("PUT", "/customers/"+fmt.Sprint(m.id)+"/autotask", url.Values{"company_id": {fmt.Sprint(m.company)}}), http.StatusOK)
	}
	initechCo := fake.AddCompany("Initech", true)
	wantStatus(t, op.hx("PUT", "/customers/"+fmt.Sprint(cInitech.ID)+"/autotask", url.Values{"company_id": {fmt.Sprint(initechCo)}}), http.StatusOK)

	// Autotask changes: Acme renamed, Globex deactivated, Initech deleted.
	fake.Add("Companies", map[string]any{"id": acme, "companyName": "Acme Holding B.V.", "isActive": true})
	fake.Add("Companies", map[string]any{"id": globex, "companyName": "Globex", "isActive": false})
	fake.Remove("Companies", initechCo)

	r = op.hx("POST", "/customers/autotask/refresh", nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, "Checked 3 mappings in Autotask: 0 ok, 1 renamed, 1 missing, 1 inactive.") {
		t.Fatalf("refresh all said: %s", r.text(".toast, [role=status]"))
	}
	want := map[int64]string{cAcme.ID: customers.MappingRenamed, cGlobex.ID: customers.MappingInvalid, cInitech.ID: customers.MappingMissing}
	for id, status := range want {
		row, _ := customers.GetRow(ctx, h.db.Bun, id)
		if row.AutotaskStatus == nil || *row.AutotaskStatus != status {
			t.Errorf("customer %d: status %v, want %s", id, row.AutotaskStatus, status)
		}
		if msg := customers.MappingBlocksTickets(row.AutotaskCompanyID, deref(row.AutotaskStatus)); (msg != "") != (status != customers.MappingRenamed) {
			t.Errorf("customer %d (%s): blocks tickets = %q", id, status, msg)
		}
	}

	// Mapping again accepts the new name; a single refresh confirms it.
	wantStatus(t, op.hx("PUT", acmeURL+"/autotask", url.Values{"company_id": {fmt.Sprint(acme)}}), http.StatusOK)
	r = op.hx("POST", acmeURL+"/autotask/refresh", nil)
	if got := r.text(".autotask-mapping-status"); got != "ok" {
		t.Fatalf("after re-mapping: %q", got)
	}

	// Clear.
	r = op.hx("DELETE", acmeURL+"/autotask", nil)
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find(".customer-autotask-mapping").Length() != 0 {
		t.Fatal("mapping still shown after clearing")
	}
	row, _ := customers.GetRow(ctx, h.db.Bun, cAcme.ID)
	if row.AutotaskCompanyID != nil || row.AutotaskStatus != nil {
		t.Fatal("mapping not cleared")
	}
	if a := admin.get("/audit"); !strings.Contains(a.body, customers.ActionAutotaskMapped) || !strings.Contains(a.body, customers.ActionAutotaskUnmapped) ||
		!strings.Contains(a.body, customers.ActionAutotaskRefreshed) {
		t.Fatal("mapping changes are not in the audit log")
	}

	// Viewers cannot map.
	h.user("viewer", db.RoleViewer)
	v := h.client()
	v.login("viewer")
	wantStatus(t, v.hx("PUT", acmeURL+"/autotask", url.Values{"company_id": {fmt.Sprint(acme)}}), http.StatusForbidden)
}
