// Package assets embeds the static files: vendored Bootstrap and htmx, and the
// application's own CSS and JavaScript.
package assets

import "embed"

// FS holds everything served under /assets/.
//
//go:embed app.css app.js nav.js favicon.svg vendor
var FS embed.FS
