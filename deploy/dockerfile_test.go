package deploy_test

import (
	"os"
	"strings"
	"testing"
)

// TestDockerfile checks what the stack relies on in the image (hadolint, run by
// .ci/test.sh where it is installed, lints the rest): versioned base images, a
// non-root user in the final stage, the HEALTHCHECK the compose health checks mirror,
// and serve as the default command.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	var user, healthcheck, cmd string
	// Continuation lines belong to the instruction before them.
	text := strings.ReplaceAll(string(raw), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			froms = append(froms, fields[1])
			user, healthcheck, cmd = "", "", "" // each stage starts afresh
		case "USER":
			user = fields[1]
		case "HEALTHCHECK":
			healthcheck = line
		case "CMD":
			cmd = strings.Join(fields[1:], " ")
		}
	}
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build, found FROM %v", froms)
	}
	for _, f := range froms {
		if _, tag, ok := strings.Cut(f, ":"); !ok || tag == "latest" {
			t.Errorf("base image %q has no version tag", f)
		}
	}
	if user == "" || strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0") {
		t.Errorf("the final stage runs as %q, want a non-root user", user)
	}
	if !strings.Contains(healthcheck, "healthcheck") {
		t.Error("the final stage has no HEALTHCHECK running backupchecks healthcheck")
	}
	if cmd != `["serve"]` {
		t.Errorf("CMD %s, want [\"serve\"]", cmd)
	}
}
