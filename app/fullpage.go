package app

import (
	"slices"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
)

// pageBehind says what a full load of a fragment's URL shows: a link to a run, a mail
// or a day opened in a new tab, pasted into a ticket or refreshed must not show a bare
// fragment. A dialog opens in the page it belongs to; any other fragment (an inline
// row, a list of options, a progress bar) sends the browser to its page.
type pageBehind struct {
	// page is the handler of the page behind a dialog; nil redirects to back instead.
	page func(*App, *fiber.Ctx) error
	// back is the URL of the page: where closing the dialog returns, or the redirect.
	back func(c *fiber.Ctx) string
}

// fixed is a back URL that does not depend on the request.
func fixed(url string) func(*fiber.Ctx) string { return func(*fiber.Ctx) string { return url } }

// fragmentPages lists every GET route that answers with a fragment (TestFragmentURLs
// fails for one missing here). Routes that answer with a file, JSON, a stream, the mail
// body's own document or an API's fragment are not listed.
var fragmentPages = map[string]pageBehind{
	// Dialogs with their own URL (hx-push-url): the address bar shows it while open.
	"/inbox/:id":          {(*App).inboxPage, fixed("/inbox")},
	"/runchecks/runs/:id": {(*App).runChecksPage, fixed("/runchecks")},
	"/daily/:id":          {(*App).dailyPage, dailyBack},
	// Dialogs of forms.
	"/tickets/new":            {(*App).ticketsPage, fixed("/tickets")},
	"/tickets/:kind/:id/edit": {(*App).ticketsPage, fixed("/tickets")},
	"/overrides/new":          {(*App).overridesPage, fixed("/overrides")},
	"/overrides/:id/edit":     {(*App).overridesPage, fixed("/overrides")},
	"/users/new":              {(*App).usersPage, fixed("/users")},
	"/users/:id/edit":         {(*App).usersPage, fixed("/users")},
	"/users/:id/password":     {(*App).usersPage, fixed("/users")},
	// Other fragments: a full load goes to their page.
	"/customers/typeahead":    {nil, fixed("/customers")},
	"/customers/:id/autotask": {nil, fixed("/customers")},
	"/customers/:id/row":      {nil, fixed("/customers")},
	"/customers/:id/edit":     {nil, fixed("/customers")},
	"/overrides/jobs":         {nil, fixed("/overrides")},
	"/jobs/:id/schedule":      {nil, jobBack},
	"/jobs/:id/schedule/edit": {nil, jobBack},
	"/jobs/:id/matching":      {nil, jobBack},
	"/jobs/:id/matching/edit": {nil, jobBack},
	"/tasks/:id":              {nil, fixed("/inbox")},
	// Cove (issue 14).
	"/settings/integrations/cove":      {nil, fixed("/settings/integrations")},
	"/settings/integrations/cove/edit": {nil, fixed("/settings/integrations")},
	"/cove/accounts/jobs":              {nil, fixed("/cove/accounts")},
	"/cove/accounts/bulk":              {(*App).coveAccountsPage, coveBack},
	"/cove/accounts/:id/create":        {(*App).coveAccountsPage, coveBack},
	"/cove/accounts/:id/link":          {(*App).coveAccountsPage, coveBack},
	// Reports (issue 17).
	"/reports/new":       {(*App).reportsPage, fixed("/reports")},
	"/reports/:id/edit":  {(*App).reportsPage, fixed("/reports")},
	"/reports/tasks/:id": {nil, fixed("/reports")},
	// The run dialog's footer, refreshed in an open dialog: a full load shows the run.
	"/runchecks/runs/:id/footer": {nil, func(c *fiber.Ctx) string { return "/runchecks/runs/" + c.Params("id") }},
	// Veeam Cloud Connect: the accounts page's dialogs and job search, the rules' section.
	"/cloud-connect/accounts/:id/create-job":    {(*App).cloudConnectPage, fixed("/cloud-connect/accounts")},
	"/cloud-connect/accounts/:id/link":          {(*App).cloudConnectPage, fixed("/cloud-connect/accounts")},
	"/cloud-connect/jobs":                       {nil, fixed("/cloud-connect/accounts")},
	"/settings/integrations/cloud-connect":      {nil, fixed("/settings/integrations")},
	"/settings/integrations/cloud-connect/edit": {nil, fixed("/settings/integrations")},
}

func dailyBack(c *fiber.Ctx) string {
	if d := c.Query("date"); d != "" {
		return "/daily?date=" + urlQueryEscape(d)
	}
	return "/daily"
}

// coveBack is the accounts list a Cove dialog was opened from.
func coveBack(c *fiber.Ctx) string {
	if l := c.Query("list"); l != "" {
		return "/cove/accounts?" + l
	}
	return "/cove/accounts"
}

func jobBack(c *fiber.Ctx) string { return "/jobs/" + c.Params("id") }

// dialogKey holds, in c.Locals, the dialog a page renders open.
const dialogKey = "bc_dialog"

// fullPage wraps the handler of a fragment route: an htmx request gets the fragment as
// always; a full load gets the page behind it, with the dialog open in it.
func (a *App) fullPage(behind pageBehind, fragment fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if isHTMX(c) {
			return fragment(c)
		}
		// The fragment renders first, as for htmx: what it fails with (no such run) is
		// the answer, as a full error page.
		if err := fragment(c); err != nil {
			return err
		}
		if st := c.Response().StatusCode(); st != fiber.StatusOK {
			return nil
		}
		if behind.page == nil {
			c.Response().ResetBody()
			return c.Redirect(behind.back(c), fiber.StatusSeeOther)
		}
		dialog := slices.Clone(c.Response().Body())
		c.Response().ResetBody()
		c.Locals(dialogKey, openDialog{body: templ.Raw(string(dialog)), back: behind.back(c)})
		return behind.page(a, c)
	}
}

// openDialog is a dialog rendered open in a full page, and the URL to return to.
type openDialog struct {
	body templ.Component
	back string
}
