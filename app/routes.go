package app

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/db"
)

// route is one entry of the route table: the single place that says who may call what.
type route struct {
	Method  string
	Path    string
	Roles   []string // nil: public (no login needed)
	Handler fiber.Handler
}

// Role sets used in the table.
var (
	public    []string
	allRoles  = db.AllRoles
	adminOnly = []string{db.RoleAdmin}
	operators = []string{db.RoleAdmin, db.RoleOperator}
	readers   = []string{db.RoleAdmin, db.RoleOperator, db.RoleViewer}
	// reportWriters create, change, delete and schedule reports.
	reportWriters = []string{db.RoleAdmin, db.RoleOperator, db.RoleReporter}
)

// routeTable lists every route of the application with the roles allowed to use it.
// Authorisation is by the user's active role.
func (a *App) routeTable() []route {
	return []route{
		{"GET", "/health", public, a.health},
		{"GET", "/login", public, a.loginPage},
		{"POST", "/login", public, a.login},
		{"GET", "/setup", public, a.setupPage},
		{"POST", "/setup", public, a.setup},
		{"POST", "/logout", allRoles, a.logout},

		{"GET", "/", allRoles, a.home},
		{"GET", "/events", allRoles, a.events},

		{"GET", "/inbox", readers, a.inboxPage},
		{"GET", "/inbox/deleted", adminOnly, a.deletedPage},
		{"POST", "/inbox/upload", operators, a.mailUpload},
		{"POST", "/inbox/delete", operators, a.mailDelete},
		{"POST", "/inbox/restore", adminOnly, a.mailRestore},
		{"POST", "/inbox/purge", adminOnly, a.mailPurge},
		{"POST", "/inbox/reparse", adminOnly, a.reparseAll},
		{"GET", "/inbox/:id", readers, a.mailModal},
		{"GET", "/inbox/:id/eml", readers, a.mailEML},
		{"GET", "/inbox/:id/body", readers, a.mailBody},
		{"GET", "/inbox/:id/cid/:cid", readers, a.mailCID},
		{"POST", "/inbox/:id/approve", operators, a.mailApprove},
		{"GET", "/customers/typeahead", operators, a.customerTypeahead},
		{"GET", "/customers", readers, a.customersPage},
		{"POST", "/customers", operators, a.customerCreate},
		{"GET", "/customers/export.csv", readers, a.customersExport},
		{"POST", "/customers/import", adminOnly, a.customersImport},
		{"POST", "/customers/autotask/refresh", operators, a.customersAutotaskRefresh},
		{"GET", "/customers/:id/autotask", operators, a.customerAutotask},
		{"PUT", "/customers/:id/autotask", operators, a.customerAutotaskMap},
		{"DELETE", "/customers/:id/autotask", operators, a.customerAutotaskClear},
		{"POST", "/customers/:id/autotask/refresh", operators, a.customerAutotaskRefresh},
		{"GET", "/customers/:id/row", operators, a.customerRow},
		{"GET", "/customers/:id/edit", operators, a.customerEdit},
		{"PUT", "/customers/:id", operators, a.customerUpdate},
		{"POST", "/customers/:id/deactivate", operators, a.customerDeactivate},
		{"POST", "/customers/:id/activate", operators, a.customerActivate},
		{"POST", "/customers/:id/delete", adminOnly, a.customerDelete},

		{"GET", "/runchecks", operators, a.runChecksPage},
		{"POST", "/runchecks/review", operators, a.runChecksReview},
		{"POST", "/runchecks/unreview", operators, a.runChecksUnreview},
		{"GET", "/runchecks/runs/:id", operators, a.runChecksRun},
		{"GET", "/runchecks/runs/:id/footer", operators, a.runChecksRunFooter},
		{"POST", "/runchecks/runs/:id/success", operators, a.runChecksMarkSuccess},
		{"POST", "/runchecks/runs/:id/success/undo", operators, a.runChecksUndoSuccess},
		{"GET", "/runs/:id", readers, a.runView},
		{"POST", "/runchecks/runs/:id/autotask-ticket", operators, a.runChecksAutotaskTicket},

		{"GET", "/tickets", readers, a.ticketsPage},
		{"GET", "/tickets/new", operators, a.ticketNew},
		{"POST", "/tickets", operators, a.ticketCreate},
		{"GET", "/tickets/:kind/:id/edit", operators, a.ticketEdit},
		{"PUT", "/tickets/:kind/:id", operators, a.ticketUpdate},
		{"POST", "/tickets/:kind/:id/resolve", operators, a.ticketResolve},
		{"POST", "/tickets/:kind/:id/reopen", operators, a.ticketReopen},
		{"GET", "/api/job-runs/:id/alerts", readers, a.runAlerts},

		{"GET", "/overrides", readers, a.overridesPage},
		{"GET", "/overrides/new", operators, a.overrideNew},
		{"GET", "/overrides/jobs", operators, a.overrideJobs},
		{"POST", "/overrides", operators, a.overrideSave},
		{"GET", "/overrides/:id/edit", operators, a.overrideEdit},
		{"PUT", "/overrides/:id", operators, a.overrideSave},
		{"POST", "/overrides/:id/delete", adminOnly, a.overrideDelete},

		{"GET", "/daily", readers, a.dailyPage},
		{"GET", "/daily/:id", readers, a.dailyJobRuns},
		{"POST", "/daily/check", operators, a.dailyCheckNow},

		{"GET", "/jobs", readers, a.jobsPage},
		{"GET", "/jobs/archived", adminOnly, a.archivedJobsPage},
		{"GET", "/jobs/:id", readers, a.jobDetail},
		{"POST", "/jobs/:id/archive", adminOnly, a.jobArchive},
		{"POST", "/jobs/:id/unarchive", adminOnly, a.jobUnarchive},
		{"POST", "/jobs/:id/delete", adminOnly, a.jobDelete},
		{"GET", "/jobs/:id/schedule", adminOnly, a.jobScheduleView},
		{"GET", "/jobs/:id/schedule/edit", adminOnly, a.jobScheduleEdit},
		{"PUT", "/jobs/:id/schedule", adminOnly, a.jobScheduleSave},
		{"GET", "/jobs/:id/matching", operators, a.jobMatchingView},
		{"GET", "/jobs/:id/matching/edit", operators, a.jobMatchingEdit},
		{"PUT", "/jobs/:id/matching", operators, a.jobMatchingSave},
		{"GET", "/tasks/:id", operators, a.taskProgress},

		{"GET", "/profile", allRoles, a.profilePage},
		{"POST", "/profile/password", allRoles, a.changePassword},
		{"POST", "/profile/theme", allRoles, a.setTheme},
		{"POST", "/profile/role", allRoles, a.switchRole},

		{"GET", "/settings", adminOnly, a.settingsGeneralPage},
		{"GET", "/settings/general", adminOnly, a.settingsGeneralView},
		{"GET", "/settings/general/edit", adminOnly, a.settingsGeneralEdit},
		{"PUT", "/settings/general", adminOnly, a.settingsGeneralSave},
		{"GET", "/settings/imports", adminOnly, a.settingsImportsPage},
		{"GET", "/settings/imports/view", adminOnly, a.settingsImportsView},
		{"GET", "/settings/imports/edit", adminOnly, a.settingsImportsEdit},
		{"PUT", "/settings/imports", adminOnly, a.settingsImportsSave},
		{"POST", "/settings/imports/test", adminOnly, a.settingsImportsTest},
		{"POST", "/settings/imports/run", adminOnly, a.settingsImportsRun},
		{"GET", "/settings/integrations", adminOnly, a.settingsIntegrationsPage},
		{"GET", "/settings/integrations/autotask", adminOnly, a.settingsAutotaskView},
		{"GET", "/settings/integrations/autotask/edit", adminOnly, a.settingsAutotaskEdit},
		{"PUT", "/settings/integrations/autotask", adminOnly, a.settingsAutotaskSave},
		{"POST", "/settings/integrations/autotask/test", adminOnly, a.settingsAutotaskTest},
		{"POST", "/settings/integrations/autotask/reference", adminOnly, a.settingsAutotaskReference},
		{"GET", "/settings/maintenance", adminOnly, a.settingsMaintenancePage},
		{"GET", "/settings/maintenance/jobs.json", adminOnly, a.jobsExport},
		{"POST", "/settings/maintenance/jobs-import", adminOnly, a.jobsImport},

		{"GET", "/users", adminOnly, a.usersPage},
		{"GET", "/users/new", adminOnly, a.userNewForm},
		{"POST", "/users", adminOnly, a.userCreate},
		{"GET", "/users/:id/edit", adminOnly, a.userEditForm},
		{"PUT", "/users/:id", adminOnly, a.userUpdate},
		{"GET", "/users/:id/password", adminOnly, a.userPasswordForm},
		{"POST", "/users/:id/password", adminOnly, a.userPasswordReset},
		{"POST", "/users/:id/deactivate", adminOnly, a.userDeactivate},
		{"POST", "/users/:id/activate", adminOnly, a.userActivate},
		{"POST", "/users/:id/unlock", adminOnly, a.userUnlock},

		{"GET", "/audit", adminOnly, a.auditPage},
		{"GET", "/parsers", adminOnly, a.parsersPage},
		{"POST", "/parsers/playground", adminOnly, a.parserPlayground},

		// Sign in with Microsoft Entra ID (issue 16): the sign-in and its callback (public:
		// they are the way in) and the settings section. Its help page is in the
		// documentation's block below.
		{"GET", "/auth/entra/login", public, a.entraLogin},
		{"GET", "/auth/entra/callback", public, a.entraCallback},
		{"GET", "/settings/integrations/entra", adminOnly, a.settingsEntraView},
		{"GET", "/settings/integrations/entra/edit", adminOnly, a.settingsEntraEdit},
		{"PUT", "/settings/integrations/entra", adminOnly, a.settingsEntraSave},
		{"POST", "/settings/integrations/entra/test", adminOnly, a.settingsEntraTest},

		// Veeam Cloud Connect (issue 15): the report's accounts, linked to jobs
		// (cloudconnect*.go), and the rules' settings (settings_cloudconnect.go).
		{"GET", "/cloud-connect/accounts", operators, a.cloudConnectPage},
		{"POST", "/cloud-connect/scan", operators, a.cloudConnectScan},
		{"GET", "/cloud-connect/jobs", operators, a.cloudConnectJobs},
		{"GET", "/cloud-connect/accounts/:id/create-job", operators, a.cloudConnectCreateJobDialog},
		{"POST", "/cloud-connect/accounts/:id/create-job", operators, a.cloudConnectCreateJob},
		{"GET", "/cloud-connect/accounts/:id/link", operators, a.cloudConnectLinkDialog},
		{"POST", "/cloud-connect/accounts/:id/link", operators, a.cloudConnectLink},
		{"POST", "/cloud-connect/accounts/:id/unlink", operators, a.cloudConnectUnlink},
		{"GET", "/settings/integrations/cloud-connect", adminOnly, a.settingsCloudConnectView},
		{"GET", "/settings/integrations/cloud-connect/edit", adminOnly, a.settingsCloudConnectEdit},
		{"PUT", "/settings/integrations/cloud-connect", adminOnly, a.settingsCloudConnectSave},

		// Cove Data Protection (issue 14): Settings → Integrations → Cove, and the
		// accounts page where accounts are linked to jobs.
		{"GET", "/settings/integrations/cove", adminOnly, a.settingsCoveView},
		{"GET", "/settings/integrations/cove/edit", adminOnly, a.settingsCoveEdit},
		{"PUT", "/settings/integrations/cove", adminOnly, a.settingsCoveSave},
		{"POST", "/settings/integrations/cove/test", adminOnly, a.settingsCoveTest},
		{"POST", "/settings/integrations/cove/run", adminOnly, a.settingsCoveRun},
		{"GET", "/cove/accounts", operators, a.coveAccountsPage},
		{"GET", "/cove/accounts/jobs", operators, a.coveJobsTypeahead},
		{"GET", "/cove/accounts/bulk", operators, a.coveBulkForm},
		{"POST", "/cove/accounts/bulk", operators, a.coveBulkCreate},
		{"GET", "/cove/accounts/:id/create", operators, a.coveCreateForm},
		{"POST", "/cove/accounts/:id/create", operators, a.coveCreate},
		{"GET", "/cove/accounts/:id/link", operators, a.coveLinkForm},
		{"POST", "/cove/accounts/:id/link", operators, a.coveLink},
		{"POST", "/cove/accounts/:id/unlink", operators, a.coveUnlink},

		// Reports (issue 17): reporters, operators and admins build, schedule and change
		// them; viewers read and download them.
		{"GET", "/reports", allRoles, a.reportsPage},
		{"GET", "/reports/new", reportWriters, a.reportNew},
		{"POST", "/reports", reportWriters, a.reportSave},
		{"GET", "/reports/logo", allRoles, a.reportLogo}, // before /reports/:id, which would take "logo"
		{"GET", "/reports/:id", allRoles, a.reportPreview},
		{"GET", "/reports/:id/edit", reportWriters, a.reportEdit},
		{"PUT", "/reports/:id", reportWriters, a.reportSave},
		{"POST", "/reports/:id/delete", reportWriters, a.reportDelete},
		{"GET", "/reports/:id/pdf", allRoles, a.reportPDF},
		{"GET", "/reports/:id/csv", allRoles, a.reportCSV},
		{"POST", "/reports/:id/generate", reportWriters, a.reportGenerate},
		{"GET", "/reports/tasks/:id", allRoles, a.reportTask},
		{"GET", "/reports/files/:id", allRoles, a.reportFile},
		{"GET", "/settings/reporting", adminOnly, a.settingsReportingPage},
		{"GET", "/settings/reporting/view", adminOnly, a.settingsReportingView},
		{"GET", "/settings/reporting/edit", adminOnly, a.settingsReportingEdit},
		{"PUT", "/settings/reporting", adminOnly, a.settingsReportingSave},

		// Issue 18: the global search, Logging (the audit log's filters and export), the
		// feedback board and Settings → Maintenance.
		// Every role searches; a reporter finds Reports and the documentation.
		{"GET", "/search", allRoles, a.searchPage}, // each section only when the role may open its page
		{"GET", "/audit/export.csv", adminOnly, a.auditExport},
		{"GET", "/feedback", allRoles, a.feedbackPage},
		{"POST", "/feedback", allRoles, a.feedbackCreate},
		{"GET", "/feedback/attachments/:id", allRoles, a.feedbackFile},
		{"GET", "/feedback/:id", allRoles, a.feedbackItem},
		{"POST", "/feedback/:id/vote", allRoles, a.feedbackVote},
		{"POST", "/feedback/:id/replies", allRoles, a.feedbackReply},
		{"POST", "/feedback/:id/delete", allRoles, a.feedbackDelete}, // the author's own; a moderator's any (app/feedback)
		{"POST", "/feedback/:id/status", adminOnly, a.feedbackStatus},
		{"POST", "/feedback/:id/restore", adminOnly, a.feedbackRestore},
		{"POST", "/feedback/:id/purge", adminOnly, a.feedbackPurge}, // also: who moderates the board
		{"POST", "/settings/maintenance/delete-jobs", adminOnly, a.maintenanceDeleteJobs},
		{"POST", "/settings/maintenance/purge-mails", adminOnly, a.maintenancePurgeMails},
		{"POST", "/settings/maintenance/audit-retention", adminOnly, a.maintenanceAuditRetention},

		// Operations (issue 19): Prometheus metrics (public route, bearer token checked by
		// the handler), Admin → Background jobs, data retention in Settings → Maintenance.
		{"GET", "/metrics", public, a.metricsEndpoint},
		{"GET", "/background", adminOnly, a.backgroundPage},
		{"POST", "/background/jobs/:id/retry", adminOnly, a.backgroundRetry},
		{"POST", "/background/jobs/:id/cancel", adminOnly, a.backgroundCancel},
		{"GET", "/settings/maintenance/retention", adminOnly, a.retentionView},
		{"PUT", "/settings/maintenance/retention", adminOnly, a.retentionSave},
		{"POST", "/settings/maintenance/retention/run", adminOnly, a.retentionRun},

		// Notifications (issue 20): Settings → Notifications (settings_notifications*.go:
		// channels with Send test, rules, the delivery history; ids travel as ?id= / a form
		// field) and each user's own subscription on the profile page (profile_notifications.go).
		{"GET", "/settings/notifications", adminOnly, a.settingsNotificationsPage},
		{"GET", "/settings/notifications/channel", adminOnly, a.settingsNotifyChannelForm},
		{"POST", "/settings/notifications/channel", adminOnly, a.settingsNotifyChannelSave},
		{"POST", "/settings/notifications/channel/test", adminOnly, a.settingsNotifyChannelTest},
		{"POST", "/settings/notifications/channel/delete", adminOnly, a.settingsNotifyChannelDelete},
		{"GET", "/settings/notifications/rule", adminOnly, a.settingsNotifyRuleForm},
		{"POST", "/settings/notifications/rule", adminOnly, a.settingsNotifyRuleSave},
		{"POST", "/settings/notifications/rule/delete", adminOnly, a.settingsNotifyRuleDelete},
		{"POST", "/profile/notifications", allRoles, a.profileNotificationsSave},

		// Built-in documentation (issue 18): the Markdown pages of app/docs, one route
		// each, so that who may read a page is said here (TestDocumentationRoutes keeps
		// the routes and the pages one to one). Public: the index and the pages needed
		// before anyone can sign in: getting started (installation, the first admin),
		// sign-in with Entra (for the admin setting it up and for a person refused at it)
		// and troubleshooting (locked out, sign-in failing). They are the same text in every
		// installation; the Entra page shows only this site's own addresses. The rest
		// describes how the app works inside, for signed-in users of every role.
		{"GET", "/documentation", public, a.documentationIndex},
		{"GET", "/documentation/start/getting-started", public, a.documentationPage},
		{"GET", "/documentation/mail/import", allRoles, a.documentationPage},
		{"GET", "/documentation/mail/parsers", allRoles, a.documentationPage},
		{"GET", "/documentation/mail/inbox", allRoles, a.documentationPage},
		{"GET", "/documentation/checks/customers-jobs", allRoles, a.documentationPage},
		{"GET", "/documentation/checks/daily-jobs", allRoles, a.documentationPage},
		{"GET", "/documentation/checks/run-checks", allRoles, a.documentationPage},
		{"GET", "/documentation/checks/overrides", allRoles, a.documentationPage},
		{"GET", "/documentation/checks/tickets-remarks", allRoles, a.documentationPage},
		{"GET", "/documentation/checks/reports", allRoles, a.documentationPage},
		{"GET", "/documentation/integrations/autotask", allRoles, a.documentationPage},
		{"GET", "/documentation/integrations/cove", allRoles, a.documentationPage},
		{"GET", "/documentation/integrations/cloud-connect", allRoles, a.documentationPage},
		{"GET", "/documentation/settings/general", allRoles, a.documentationPage},
		{"GET", "/documentation/settings/users-roles", allRoles, a.documentationPage},
		{"GET", "/documentation/settings/entra-sso", public, a.documentationPage},
		{"GET", "/documentation/settings/notifications", allRoles, a.documentationPage},
		{"GET", "/documentation/settings/maintenance", allRoles, a.documentationPage},
		{"GET", "/documentation/operations/backup-restore", allRoles, a.documentationPage},
		{"GET", "/documentation/operations/troubleshooting", public, a.documentationPage},
	}
}

func (a *App) registerRoutes() {
	a.fiber.Use(a.securityHeaders())
	a.fiber.Use("/assets", a.assets())
	a.fiber.Use(a.loadRequestState)
	a.fiber.Use(a.logUser)
	a.fiber.Use(checkParams)
	a.fiber.Use(a.checkCSRF)
	a.fiber.Use(a.requireSetup)

	a.routes = a.routeTable()
	a.routeRoles = map[string][]string{}
	for _, r := range a.routes {
		a.routeRoles[r.Method+" "+r.Path] = r.Roles
		handler := r.Handler
		if behind, ok := fragmentPages[r.Path]; ok && r.Method == fiber.MethodGet {
			handler = a.fullPage(behind, r.Handler)
		}
		// The name is what the request metrics label the route by (routeLabel).
		a.fiber.Add(r.Method, r.Path, a.authorize(r.Roles), handler).Name(r.Method + " " + r.Path)
	}
	a.fiber.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// authorize lets a request through when the route is public or the user's active
// role is among roles. Anonymous visitors are sent to the login page.
func (a *App) authorize(roles []string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if roles == nil {
			return c.Next()
		}
		u := currentUser(c)
		if u == nil {
			return a.redirectToLogin(c)
		}
		if !slices.Contains(roles, u.ActiveRole) {
			return fiber.NewError(fiber.StatusForbidden, "Your active role ("+u.ActiveRole+") may not open this page.")
		}
		return c.Next()
	}
}

// allowed reports whether role may call the route method pattern of the route table
// (e.g. "POST", "/customers/:id/delete"): the buttons and links of a page ask this, so a
// route's roles and the controls that lead to it cannot drift apart. A pattern that is
// not in the table is never allowed.
func (a *App) allowed(role string) func(method, pattern string) bool {
	return func(method, pattern string) bool {
		roles, ok := a.routeRoles[method+" "+pattern]
		return ok && (roles == nil || slices.Contains(roles, role))
	}
}

// can reports whether the request's user may call the route method pattern, for what
// a handler loads only for those who may use it (e.g. the Inbox loads a running
// re-parse for whoever may start one). Components ask v.Can instead.
func (a *App) can(c *fiber.Ctx, method, pattern string) bool {
	u := currentUser(c)
	return u != nil && a.allowed(u.ActiveRole)(method, pattern)
}

// reviewWatchers may see who reviewed which run: the Reviewed columns of Daily Jobs and
// a job's page, its review history, and reviewed runs in Run Checks ("Include
// reviewed"). This is what pages show, not something a role does, so no route stands
// for it; it is named here, beside the table, so that roles are still set in one file.
var reviewWatchers = adminOnly

// seesReviews reports whether the request's user may see who reviewed which run.
func seesReviews(c *fiber.Ctx) bool {
	u := currentUser(c)
	return u != nil && slices.Contains(reviewWatchers, u.ActiveRole)
}
