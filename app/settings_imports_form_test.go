package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/db"
)

// The edit form shows only the chosen source's fields (the others are in the form,
// hidden, so they are kept); a field error in the other source's fields shows them
// with a note; the read-only view shows only the chosen source's values.
func TestSettingsImportsFormShowsChosenSource(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	c.get("/settings/imports")

	shown := func(r *response, sel string) bool {
		t.Helper()
		s := r.doc.Find(sel)
		if s.Length() != 1 {
			t.Fatalf("%d elements %s in:\n%s", s.Length(), sel, r.body)
		}
		_, hidden := s.Attr("hidden")
		return !hidden
	}
	parts := []string{"#source-none-hint", "#source-fields-graph", "#source-fields-imap"}
	want := func(r *response, wantShown ...bool) {
		t.Helper()
		for i, sel := range parts {
			if got := shown(r, sel); got != wantShown[i] {
				t.Errorf("%s shown = %v, want %v", sel, got, wantShown[i])
			}
		}
	}

	r := c.hx("GET", "/settings/imports/edit", nil)
	wantStatus(t, r, http.StatusOK)
	want(r, true, false, false)
	if r.doc.Find("#imports-form[data-source-switch='mail_source'] #f-imap_host").Length() != 1 {
		t.Fatal("the hidden IMAP fields are not in the form (their values would be lost)")
	}

	imapForm := url.Values{"mail_source": {"imap"}, "mail_import_interval_minutes": {"15"}, "mail_import_batch_size": {"50"},
		"imap_host": {"imap.example.com"}, "imap_security": {"tls"}, "imap_username": {"backups"},
		"imap_password": {"imap-pass"}, "imap_folder": {"INBOX"}, "graph_mailbox": {"still@example.com"}}
	wantStatus(t, c.hx("PUT", "/settings/imports", imapForm), http.StatusOK)
	r = c.hx("GET", "/settings/imports/edit", nil)
	want(r, false, false, true)
	if v, _ := r.doc.Find("#f-graph_mailbox").Attr("value"); v != "still@example.com" {
		t.Errorf("the hidden Graph mailbox is %q, want it kept", v)
	}

	// A value the other source's fields cannot keep: they are shown, with the error.
	imapForm.Set("graph_mailbox", "not an address")
	r = c.hx("PUT", "/settings/imports", imapForm)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	want(r, false, true, true)
	if r.text("#f-graph_mailbox-error") == "" || r.doc.Find("#source-fields-graph[data-source-errors] [data-source-note]").Length() != 1 {
		t.Errorf("the Graph fields' error is not explained:\n%s", r.body)
	}

	// The read-only view: IMAP values, no Graph ones.
	r = c.get("/settings/imports")
	view := r.text("#settings-imports")
	if !strings.Contains(view, "imap.example.com") || strings.Contains(view, "Tenant") || strings.Contains(view, "Client secret") ||
		strings.Contains(view, "still@example.com") {
		t.Errorf("read-only view: %q", view)
	}
}
