package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackageDependencies checks the import rules between capabilities (go list
// -deps, so indirect imports count too): the job summaries' owner depends on no writer
// of runs, the common processor knows no mailbox, the MIME layer no parser, and the
// test database helper nothing a test could be testing.
func TestPackageDependencies(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	const mod = "github.com/backupchecks/backupchecks/"
	for _, tc := range []struct {
		pkg       string
		forbidden []string // packages, each with everything under it
	}{
		{"app/review", []string{"app/schedule", "app/ingest", "app/mail", "app/overrides"}},
		{"app/overrides", []string{"app/schedule", "app/ingest", "app/mail"}},
		{"app/ingest", []string{"app/schedule", "app/mail/graph", "app/mail/imap", "app/mail/mailbox"}},
		{"app/mail", []string{"app/parsers", "app/ingest"}},
		// Every package's tests, internal ones too, use dbtest: it must import none of them.
		{"db/dbtest", []string{"app", "jobs", "components"}},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			out, err := exec.Command(goCmd, "list", "-deps", "-f", "{{.ImportPath}}", "./"+tc.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tc.pkg, err)
			}
			deps := strings.Fields(string(out))
			if len(deps) == 0 || deps[len(deps)-1] != mod+tc.pkg {
				t.Fatalf("go list -deps %s listed %q", tc.pkg, deps)
			}
			for _, dep := range deps {
				for _, f := range tc.forbidden {
					if dep == mod+f || strings.HasPrefix(dep, mod+f+"/") {
						t.Errorf("%s depends on %s", tc.pkg, dep)
					}
				}
			}
		})
	}
}
