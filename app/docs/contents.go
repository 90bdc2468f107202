package docs

// contents is the documentation's table of contents: its sections and, in reading
// order, their pages (pages/<section>/<page>.md). A page's address is
// /documentation/<section>/<page>; keep addresses stable, since the "?" links of the
// app's pages and bookmarks lead to them. Every file in pages/ must be listed here.
var contents = []struct {
	slug, title string
	pages       []string
}{
	{"start", "Getting started", []string{"getting-started"}},
	{"mail", "Mail", []string{"import", "parsers", "inbox"}},
	{"checks", "Checking backups", []string{"customers-jobs", "daily-jobs", "run-checks", "overrides", "tickets-remarks", "reports"}},
	{"integrations", "Integrations", []string{"autotask", "cove", "cloud-connect"}},
	{"settings", "Administration", []string{"general", "users-roles", "entra-sso", "notifications", "maintenance"}},
	{"operations", "Operations", []string{"backup-restore", "troubleshooting"}},
}
