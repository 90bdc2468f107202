package app

import (
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

// TestRunChecksSelectSuccessesSaysThisPage: the button selects the listed page's
// successes only (app.js checks the boxes on the page), and says so.
func TestRunChecksSelectSuccessesSaysThisPage(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	approvedJob(t, h, c, "Acme", "Nightly", 1, "Success", "Failed")
	r := c.get("/runchecks")
	btn := r.doc.Find("#select-successes")
	if got := strings.TrimSpace(btn.Text()); got != "Select successes on this page" || !strings.Contains(btn.AttrOr("title", ""), "this page only") {
		t.Errorf("select button %q, title %q", got, btn.AttrOr("title", ""))
	}
}
