package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// customer adds a customer with n (non-archived) jobs.
func (h *harness) customer(name string, active bool, jobs int) int64 {
	h.t.Helper()
	c := dbtest.Fixture(h.t, h.db).AddCustomer(dbtest.Customer{Name: name, Inactive: !active})
	for i := range jobs {
		c.Job(dbtest.Job{Name: fmt.Sprintf("%s job %d", name, i)})
	}
	return c.ID
}

// importCustomers uploads a CSV file as the import form does (htmx, multipart).
func (c *client) importCustomers(filename, data string) *response {
	c.h.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, _ := w.CreateFormFile("file", filename)
	io.WriteString(part, data)
	w.Close()
	req, _ := http.NewRequest("POST", c.h.url+"/customers/import", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return c.parse(resp, string(b))
}

// rowFragment parses a fragment of table rows as the browser does: inside a table (alone, the
// HTML parser drops the tr and td tags).
func rowFragment(t *testing.T, r *response) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + r.body + "</tbody></table>"))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func customerNames(r *response) []string {
	var out []string
	r.doc.Find("#customers-rows .customer-name").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
	return out
}

func TestCustomersList(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)
	acme := h.customer("Acme", true, 2)
	h.customer("Beta", true, 0)
	h.customer("Old Customer", false, 1)
	c := h.client()
	c.login("ops")

	r := c.get("/customers")
	wantStatus(t, r, http.StatusOK)
	if got := strings.Join(customerNames(r), ","); got != "Acme,Beta" {
		t.Fatalf("rows = %s, want the active customers by name", got)
	}
	row := r.doc.Find(fmt.Sprintf("#customer-%d", acme))
	if href, _ := row.Find("a.customer-name").Attr("href"); href != fmt.Sprintf("/jobs?customer_id=%d", acme) {
		t.Fatalf("name links to %q", href)
	}
	if cnt := row.Find(".job-count"); strings.TrimSpace(cnt.Text()) != "2" || cnt.HasClass("text-danger") {
		t.Fatalf("Acme's job count cell: %q, classes %q", cnt.Text(), cnt.AttrOr("class", ""))
	}
	if cnt := r.doc.Find("#customers-rows tr").Eq(1).Find(".job-count"); !cnt.HasClass("text-danger") || !cnt.HasClass("fw-bold") {
		t.Fatalf("a customer without jobs is not red and bold: %q", cnt.AttrOr("class", ""))
	}

	// Search as you type: only the table comes back.
	r = c.hx("GET", "/customers?q=CUST&inactive=on", nil)
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("nav.navbar").Length() != 0 || r.doc.Find("#customers-table").Length() != 1 {
		t.Fatalf("search did not return the table fragment:\n%s", r.body)
	}
	if got := strings.Join(customerNames(r), ","); got != "Old Customer" {
		t.Fatalf("search rows = %s", got)
	}
	// The same without JavaScript: a whole page, the filter kept in the form.
	r = c.get("/customers?q=cust")
	if got := customerNames(r); len(got) != 0 || !strings.Contains(r.text("#customers-empty"), "No customers match") {
		t.Fatalf("inactive customers shown by default: %v", got)
	}
	if v, _ := r.doc.Find("#customers-q").Attr("value"); v != "cust" {
		t.Fatalf("search box value %q", v)
	}

	// 50 per page.
	for i := range 55 {
		h.customer(fmt.Sprintf("Bulk %02d", i), true, 0)
	}
	r = c.get("/customers")
	if n := len(customerNames(r)); n != 50 || !strings.Contains(r.text("#customers-table nav"), "Page 1 of 2 · 57 in all") {
		t.Fatalf("page 1: %d rows, pager %q", n, r.text("#customers-table nav"))
	}
	r = c.get("/customers?page=2")
	if n := len(customerNames(r)); n != 7 {
		t.Fatalf("page 2: %d rows", n)
	}
	r = c.get("/customers?page=99")
	if n := len(customerNames(r)); n != 7 {
		t.Fatalf("a page past the end shows the last one: %d rows", n)
	}
}

func TestCustomersCreate(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)
	h.customer("Acme", true, 0)
	c := h.client()
	c.login("ops")
	r := c.get("/customers")
	if box := r.doc.Find(`#customer-create input[name="active"]`); !box.Is("[checked]") {
		t.Fatal("Active is not checked by default")
	}

	r = c.hx("POST", "/customers", url.Values{"customer_name": {"  Zeta BV "}, "active": {"on"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#flash"), "Customer Zeta BV added.") {
		t.Fatalf("no flash: %s", r.body)
	}
	// The new row goes to the top of the table out of band; the form comes back empty.
	oob := r.doc.Find(`template tbody[hx-swap-oob="afterbegin:#customers-rows"]`)
	if oob.Length() != 1 || !strings.Contains(oob.Text(), "Zeta BV") {
		t.Fatalf("no new row for the table:\n%s", r.body)
	}
	if v, _ := r.doc.Find("#f-customer_name").Attr("value"); v != "" {
		t.Fatalf("the form keeps %q", v)
	}
	got, err := customers.Search(context.Background(), h.db.Bun, "zeta", 5)
	if err != nil || len(got) != 1 || got[0].Name != "Zeta BV" || !got[0].Active {
		t.Fatalf("stored: %+v, %v", got, err)
	}

	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"duplicate in another case", url.Values{"customer_name": {"ACME"}, "active": {"on"}}, "already exists"},
		{"blank", url.Values{"customer_name": {"  "}}, "enter the customer's name"},
		{"too long", url.Values{"customer_name": {strings.Repeat("x", 201)}}, "at most 200 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.hx("POST", "/customers", tc.form)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if msg := r.text("#f-customer_name-error"); !strings.Contains(msg, tc.want) {
				t.Fatalf("error = %q, want %q\n%s", msg, tc.want, r.body)
			}
			if v, _ := r.doc.Find("#f-customer_name").Attr("value"); v != tc.form.Get("customer_name") {
				t.Fatalf("typed name not kept: %q", v)
			}
		})
	}

	// Without JavaScript: a redirect with a flash, and an inactive customer this time.
	r = c.post("/customers", url.Values{"customer_name": {"Plain Form"}})
	wantStatus(t, r, http.StatusSeeOther)
	if cu, err := customers.Search(context.Background(), h.db.Bun, "plain", 5); err != nil || len(cu) != 0 {
		t.Fatalf("an unchecked Active box made an active customer: %+v", cu)
	}
}

func TestCustomersEdit(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)
	acme := h.customer("Acme", true, 1)
	h.customer("Beta", true, 0)
	c := h.client()
	c.login("ops")
	c.get("/customers")
	rowPath := fmt.Sprintf("/customers/%d", acme)

	r := c.hx("GET", rowPath+"/edit", nil)
	wantStatus(t, r, http.StatusOK)
	if rowFragment(t, r).Find(fmt.Sprintf("tr#customer-%d input[name=name]", acme)).Length() != 1 {
		t.Fatalf("edit did not return the row as a form:\n%s", r.body)
	}
	if v, _ := r.doc.Find(fmt.Sprintf("#customer-%d-name", acme)).Attr("value"); v != "Acme" {
		t.Fatalf("edit row name = %q\n%s", v, r.body)
	}
	if r.doc.Find(fmt.Sprintf(`form#customer-%d-form[hx-put="%s"]`, acme, rowPath)).Length() != 1 {
		t.Fatalf("no form that PUTs the row:\n%s", r.body)
	}

	// Renaming onto another customer's name (other case) is refused in the row.
	r = c.hx("PUT", rowPath, url.Values{"name": {"BETA"}, "active": {"on"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := r.text(fmt.Sprintf("#customer-%d-name-error", acme)); !strings.Contains(msg, `already named "Beta"`) {
		t.Fatalf("error = %q\n%s", msg, r.body)
	}
	if v, _ := r.doc.Find(fmt.Sprintf("#customer-%d-name", acme)).Attr("value"); v != "BETA" {
		t.Fatalf("typed name not kept: %q", v)
	}

	// Cancel shows the row as it was.
	r = c.hx("GET", rowPath+"/row", nil)
	wantStatus(t, r, http.StatusOK)
	if got := rowFragment(t, r).Find(fmt.Sprintf("#customer-%d .customer-name", acme)).Text(); got != "Acme" {
		t.Fatalf("cancel shows %q", got)
	}

	r = c.hx("PUT", rowPath, url.Values{"name": {"Acme Holding"}})
	wantStatus(t, r, http.StatusOK)
	if row := rowFragment(t, r).Find(fmt.Sprintf("#customer-%d", acme)); row.Find(".customer-name").Text() != "Acme Holding" || !strings.Contains(row.Text(), "Inactive") {
		t.Fatalf("saved row:\n%s", r.body)
	}
	if !strings.Contains(r.text("#flash"), "Customer Acme Holding saved.") {
		t.Fatalf("no flash: %s", r.body)
	}
	e := new(db.AuditEntry)
	if err := h.db.Bun.NewSelect().Model(e).Where("action = ?", customers.ActionUpdated).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(e.Details["name"]) != "map[new:Acme Holding old:Acme]" || fmt.Sprint(e.Details["active"]) != "map[new:false old:true]" || e.ActorName != "ops" {
		t.Fatalf("audit: %s %v", e.ActorName, e.Details)
	}

	wantStatus(t, c.hx("GET", "/customers/999999/edit", nil), http.StatusNotFound)
	wantStatus(t, c.hx("PUT", "/customers/999999", url.Values{"name": {"X"}}), http.StatusNotFound)
}

func TestCustomersDelete(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("root", db.RoleAdmin)
	busy := h.customer("Busy", true, 2)
	idle := h.customer("Idle", true, 0)
	c := h.client()
	c.login("root")
	r := c.get("/customers")
	if del := r.doc.Find(fmt.Sprintf("#customer-%d .customer-delete", idle)); del.AttrOr("hx-confirm", "") == "" {
		t.Fatal("delete asks no confirmation")
	}

	// A customer with jobs is not offered Delete, and the row says why.
	row := r.doc.Find(fmt.Sprintf("#customer-%d", busy))
	if row.Find(".customer-delete").Length() != 0 || strings.TrimSpace(row.Find(".customer-no-delete").Text()) != "not deletable: 2 jobs" ||
		row.Find(".customer-no-delete").AttrOr("title", "") == "" || row.Find(".customer-deactivate").Length() != 1 {
		t.Fatalf("row of a customer with jobs:\n%s", r.text(fmt.Sprintf("#customer-%d", busy)))
	}
	// Asked anyway (a job added meanwhile), it is refused with the reason.
	r = c.hx("POST", fmt.Sprintf("/customers/%d/delete", busy), nil)
	wantStatus(t, r, http.StatusConflict)
	if r.Header.Get("HX-Retarget") != "#flash" || !strings.Contains(r.body, "Busy still has 2 jobs") || !strings.Contains(r.body, "delete its jobs first") {
		t.Fatalf("refusal: %s %s", r.Header.Get("HX-Retarget"), r.body)
	}

	r = c.hx("POST", fmt.Sprintf("/customers/%d/delete", idle), nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#flash"), "Customer Idle deleted.") || r.doc.Find("tr").Length() != 0 {
		t.Fatalf("delete answer:\n%s", r.body)
	}
	if _, err := customers.Get(context.Background(), h.db.Bun, idle); err == nil {
		t.Fatal("customer still there")
	}
	if _, err := customers.Get(context.Background(), h.db.Bun, busy); err != nil {
		t.Fatal("the refused customer went")
	}
}

func TestCustomersExport(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("viewer", db.RoleViewer)
	h.customer("Acme", true, 2)
	h.customer(`"Quoted", BV`, false, 0)
	h.customer("Zürich AG", true, 0)
	c := h.client()
	c.login("viewer")

	r := c.get("/customers/export.csv")
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=customers-") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	want := "name,active,jobs\n\"\"\"Quoted\"\", BV\",false,0\nAcme,true,2\nZürich AG,true,0\n"
	if r.body != want {
		t.Fatalf("export:\n%s\nwant:\n%s", r.body, want)
	}
}

func TestCustomersImport(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("root", db.RoleAdmin)
	h.customer("Acme", true, 0)
	h.customer("Beta", true, 0)
	c := h.client()
	c.login("root")
	r := c.get("/customers")
	if r.doc.Find(`#customers-import input[type="file"][name="file"]`).Length() != 1 {
		t.Fatal("no import form for an admin")
	}

	r = c.importCustomers("customers.csv", "name,active\nacme,no\nBeta,yes\nNew One,ja\n")
	wantStatus(t, r, http.StatusOK)
	if msg := r.text("#flash"); !strings.Contains(msg, "1 created, 1 updated, 1 unchanged") {
		t.Fatalf("flash = %q\n%s", msg, r.body)
	}
	if got := strings.Join(customerNames(r), ","); got != "Beta,New One" {
		t.Fatalf("table after import (inactive hidden): %s", got)
	}
	if r.doc.Find(`form#customers-import[hx-swap-oob]`).Length() != 1 {
		t.Fatal("the import form is not reset")
	}

	// One bad line: nothing is imported and the lines are named beside the field.
	r = c.importCustomers("bad.csv", "name,active\nGamma,1\n,1\nDelta,perhaps\n")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.Header.Get("HX-Retarget") != "#customers-import" {
		t.Fatalf("HX-Retarget = %q", r.Header.Get("HX-Retarget"))
	}
	if msg := r.text("#f-file-error"); !strings.Contains(msg, "line 3: the name is empty") || !strings.Contains(msg, `line 4: active is "perhaps"`) {
		t.Fatalf("errors = %q", msg)
	}
	if got, _ := customers.Search(context.Background(), h.db.Bun, "gamma", 5); len(got) != 0 {
		t.Fatal("a rejected file was partly imported")
	}

	// No file at all.
	r = c.hx("POST", "/customers/import", url.Values{})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.text("#f-file-error"), "Choose a CSV file") {
		t.Fatalf("no file: %s", r.body)
	}
}

func TestCustomersRoles(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("viewer", db.RoleViewer)
	h.user("ops", db.RoleOperator)
	id := h.customer("Acme", true, 0)

	v := h.client()
	v.login("viewer")
	r := v.get("/customers")
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#customer-create, #customers-import, .customer-edit, .customer-delete").Length() != 0 {
		t.Fatal("a viewer sees edit controls")
	}
	if r.doc.Find(`a[href="/customers/export.csv"]`).Length() != 1 || len(customerNames(r)) != 1 {
		t.Fatal("a viewer lacks the list or the export")
	}
	wantStatus(t, v.hx("POST", "/customers", url.Values{"customer_name": {"Sneaky"}}), http.StatusForbidden)
	wantStatus(t, v.post("/customers", url.Values{"customer_name": {"Sneaky"}}), http.StatusForbidden)
	wantStatus(t, v.hx("PUT", fmt.Sprintf("/customers/%d", id), url.Values{"name": {"Sneaky"}}), http.StatusForbidden)
	if got, _ := customers.Search(context.Background(), h.db.Bun, "sneaky", 5); len(got) != 0 {
		t.Fatal("a viewer's post created a customer")
	}

	o := h.client()
	o.login("ops")
	r = o.get("/customers")
	if r.doc.Find("#customer-create").Length() != 1 || r.doc.Find(".customer-edit").Length() != 1 {
		t.Fatal("an operator cannot create or edit")
	}
	if r.doc.Find("#customers-import, .customer-delete").Length() != 0 {
		t.Fatal("an operator sees admin-only import or delete")
	}
	wantStatus(t, o.hx("POST", fmt.Sprintf("/customers/%d/delete", id), nil), http.StatusForbidden)
}

// waitJS waits until the JavaScript expression is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

// TestBrowserCustomers drives the page in headless Chromium: inline create (once wrong,
// once right), search as you type, inline edit saved with Enter, delete after the
// confirmation and a CSV import, all without a page reload.
func TestBrowserCustomers(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("root", db.RoleAdmin)
	busy := h.customer("Busy", true, 1)
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "root")...)
	steps(ctx, t, "open the empty-ish page",
		chromedp.Navigate(h.url+"/customers?q=nothing"),
		chromedp.WaitVisible("#customers-empty td"),
		htmxIdle(),
	)
	run(ctx, t, chromedp.Evaluate[string](`window.__noReload = "still here"; window.confirm = () => true; "ok"`))

	steps(ctx, t, "add a duplicate",
		chromedp.SendKeys("#f-customer_name", "busy"),
		chromedp.Click("#customer-create-submit"),
		chromedp.WaitVisible("#f-customer_name-error"),
		htmxIdle(),
	)
	steps(ctx, t, "add a new customer",
		chromedp.SetValue("#f-customer_name", "Nova BV"),
		chromedp.Click("#customer-create-submit"),
		chromedp.WaitNotPresent("#f-customer_name-error"),
		chromedp.WaitVisible(`#customers-rows tr.table-success`),
		htmxIdle(),
	)
	if row := run(ctx, t, chromedp.Text(`#customers-rows tr:first-child`)); !strings.Contains(row, "Nova BV") {
		t.Fatalf("first row after create = %q", row)
	}
	if n := run(ctx, t, chromedp.Evaluate[int](`document.querySelectorAll("#customers-empty tr").length`)); n != 0 {
		t.Fatal("the empty-table message stayed after a create")
	}
	if v := run(ctx, t, chromedp.Value("#f-customer_name")); v != "" {
		t.Fatalf("create form kept %q", v)
	}
	screenshot(ctx, t, "customers-01-created")

	steps(ctx, t, "search as you type",
		waitJS(`(document.querySelector("#customers-q").value = "") === ""`),
		chromedp.SendKeys("#customers-q", "bus"),
		waitJS(`document.querySelectorAll("#customers-rows tr").length === 1 &&
			document.querySelector("#customers-rows tr").textContent.includes("Busy")`),
		htmxIdle(),
	)
	if loc := run(ctx, t, chromedp.Location()); !strings.HasSuffix(loc, "/customers?q=bus") {
		t.Fatalf("search not in the address bar: %s", loc)
	}

	rowSel := fmt.Sprintf("#customer-%d", busy)
	steps(ctx, t, "edit inline with an error, then save with Enter",
		chromedp.Click(rowSel+" .customer-edit"),
		chromedp.WaitVisible(rowSel+" input[name=name]"),
		htmxIdle(),
		chromedp.SetValue(rowSel+" input[name=name]", "NOVA bv"),
		chromedp.Click(rowSel+" .customer-save"),
		chromedp.WaitVisible(fmt.Sprintf("#customer-%d-name-error", busy)),
		htmxIdle(),
		chromedp.SetValue(rowSel+" input[name=name]", "Busy Bees"),
		chromedp.SendKeys(rowSel+" input[name=name]", "\r"),
		chromedp.WaitNotPresent(rowSel+" input[name=name]"),
		htmxIdle(),
	)
	if row := run(ctx, t, chromedp.Text(rowSel)); !strings.Contains(row, "Busy Bees") {
		t.Fatalf("row after save = %q", row)
	}

	// A customer with jobs offers Deactivate instead of Delete, and Activate back.
	if n := run(ctx, t, chromedp.Evaluate[int](`document.querySelectorAll("`+rowSel+` .customer-delete").length`)); n != 0 {
		t.Fatal("Delete offered for a customer with jobs")
	}
	steps(ctx, t, "deactivate and activate again",
		chromedp.Click(rowSel+" .customer-deactivate"),
		chromedp.WaitVisible(rowSel+" .customer-activate"),
		htmxIdle(),
		chromedp.Click(rowSel+" .customer-activate"),
		chromedp.WaitVisible(rowSel+" .customer-deactivate"),
		htmxIdle(),
	)
	if msg := run(ctx, t, chromedp.Text("#flash")); !strings.Contains(msg, "Busy Bees activated") {
		t.Fatalf("flash = %q", msg)
	}

	csvFile := filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(csvFile, []byte("name,active\nImported One,yes\nbusy bees,no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	steps(ctx, t, "import a CSV file",
		waitJS(`(document.querySelector("#customers-q").value = "") === ""`),
		chromedp.SetUploadFiles("#f-file", []string{csvFile}),
		chromedp.Click("#customers-import-submit"),
		waitJS(`document.querySelector("#flash").textContent.includes("1 created, 1 updated, 0 unchanged")`),
		htmxIdle(),
	)
	if names := run(ctx, t, chromedp.Text("#customers-rows")); !strings.Contains(names, "Imported One") || strings.Contains(names, "Busy Bees") {
		t.Fatalf("table after import = %q", names)
	}
	screenshot(ctx, t, "customers-02-imported")

	steps(ctx, t, "delete a customer without jobs",
		chromedp.Click(`#customers-rows tr:first-child .customer-delete`),
		waitJS(`!document.querySelector("#customers-rows").textContent.includes("Imported One")`),
		htmxIdle(),
	)
	if marker := run(ctx, t, chromedp.Evaluate[string](`window.__noReload || ""`)); marker != "still here" {
		t.Fatal("the page reloaded")
	}
}

// TestCustomersDeactivateAndCounts: Deactivate and Activate (operators, audited) in
// place of Delete; the Jobs column counts the rows the customer's Jobs link lists; the
// name inputs carry the server's length limit.
func TestCustomersDeactivateAndCounts(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	acme := h.customer("Acme", true, 3)
	// One archived and one inactive job: neither is on the Jobs list.
	if _, err := h.db.Bun.ExecContext(t.Context(), `UPDATE jobs SET archived_at = now() WHERE id = (SELECT min(id) FROM jobs WHERE customer_id = ?)`, acme); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Bun.ExecContext(t.Context(), `UPDATE jobs SET active = false WHERE id = (SELECT max(id) FROM jobs WHERE customer_id = ?)`, acme); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	c.login("ops")
	r := c.get("/customers")
	row := r.doc.Find(fmt.Sprintf("#customer-%d", acme))
	jobsPage := c.get(fmt.Sprintf("/jobs?customer_id=%d", acme))
	if got, listed := strings.TrimSpace(row.Find(".job-count").Text()), jobsPage.doc.Find("#jobs-table tbody tr").Length(); got != fmt.Sprint(listed) || listed != 1 {
		t.Errorf("Jobs column says %s, the customer's Jobs page lists %d", got, listed)
	}
	if got := r.text("#customers-total"); got != "1 customer (inactive ones hidden)" {
		t.Errorf("total: %q", got)
	}
	if row.Find(".customer-delete, .customer-no-delete").Length() != 0 {
		t.Error("an operator sees delete or why not")
	}
	edit := rowFragment(t, c.hx("GET", fmt.Sprintf("/customers/%d/edit", acme), nil))
	for sel, doc := range map[string]*goquery.Document{"#f-customer_name": r.doc, fmt.Sprintf("#customer-%d-name", acme): edit} {
		if got := doc.Find(sel).AttrOr("maxlength", ""); got != fmt.Sprint(customers.MaxNameLength) {
			t.Errorf("%s maxlength %q, want %d (the server's limit)", sel, got, customers.MaxNameLength)
		}
	}

	v := h.client()
	v.login("viewer")
	wantStatus(t, v.hx("POST", fmt.Sprintf("/customers/%d/deactivate", acme), nil), http.StatusForbidden)
	wantStatus(t, c.do("POST", fmt.Sprintf("/customers/%d/deactivate", acme), url.Values{}, false), http.StatusForbidden) // no CSRF token

	r = c.hx("POST", fmt.Sprintf("/customers/%d/deactivate", acme), nil)
	wantStatus(t, r, http.StatusOK)
	frag := rowFragment(t, r)
	if frag.Find(".customer-activate").Length() != 1 || !strings.Contains(r.text("#flash"), "Customer Acme deactivated") {
		t.Fatalf("deactivate answer:\n%s", r.body)
	}
	if cu, _ := customers.Get(t.Context(), h.db.Bun, acme); cu.Active {
		t.Fatal("still active")
	}
	wantStatus(t, c.hx("POST", fmt.Sprintf("/customers/%d/activate", acme), nil), http.StatusOK)
	var audited int
	if err := h.db.Bun.NewRaw("SELECT count(*) FROM audit_log WHERE action = ? AND target = 'customer:Acme' AND actor_name = 'ops'",
		customers.ActionUpdated).Scan(t.Context(), &audited); err != nil || audited != 2 {
		t.Fatalf("%d audit entries: %v", audited, err)
	}
	wantStatus(t, c.hx("POST", "/customers/999999/activate", nil), http.StatusNotFound)
}
