package app

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/backupchecks/backupchecks/db"
)

// The crafted save that was a 500 (a check constraint): mail_source=graph without
// imap_security. Now saved (the stored IMAP choice stays) or refused beside a field.
func TestSecurityImportSettingsCraftedSave(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	c.get("/settings/imports")
	form := url.Values{"mail_source": {"graph"}, "mail_import_interval_minutes": {"15"}, "mail_import_batch_size": {"50"},
		"graph_tenant_id": {"8b4d4e2a-3f0c-4c1e-9a57-1d2c3b4a5f60"}, "graph_client_id": {"8b4d4e2a-3f0c-4c1e-9a57-1d2c3b4a5f60"},
		"graph_client_secret": {"s3cret"}, "graph_mailbox": {"backups@example.com"},
		"graph_source_folder": {"Inbox"}, "graph_processed_folder": {"Inbox/Processed"}}
	wantStatus(t, c.hx("PUT", "/settings/imports", form), http.StatusOK)
	form.Set("imap_security", "rot13")
	r := c.hx("PUT", "/settings/imports", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.text("#f-imap_security ~ .invalid-feedback") == "" {
		t.Errorf("no message beside imap_security:\n%s", r.body)
	}
}
