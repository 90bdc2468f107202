package app

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	docsview "github.com/backupchecks/backupchecks/components/docs"
	"github.com/backupchecks/backupchecks/components/view"
)

// documentationEntraSSO is the help page for sign-in with Microsoft Entra. It is
// public: an admin setting sign-in up, or a person refused at sign-in, may not be able
// to sign in yet, and it shows nothing but this site's own addresses.
func (a *App) documentationEntraSSO(c *fiber.Ctx) error {
	site := a.site()
	m := docsview.EntraSSO{RedirectURI: site.RedirectURI(), LogoutURI: site.LogoutReturnURI(), SiteProblem: site.Problem()}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return docsview.EntraSSOPage(v, m) })
}
