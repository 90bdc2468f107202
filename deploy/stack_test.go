// Package deploy_test checks the production compose stack with the compose
// specification's own loader (what `docker compose` runs), so a broken or unsafe change
// to deploy/ fails here instead of on an MSP's server.
package deploy_test

import (
	"bufio"
	"context"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

const stackFile = "backupchecks-stack.yml"

// exampleEnv reads .env.example: NAME=value lines, in order.
func exampleEnv(t *testing.T) (names []string, values map[string]string) {
	t.Helper()
	f, err := os.Open(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	values = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env.example: %q is not NAME=value", line)
		}
		names = append(names, name)
		values[name] = value
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names, values
}

// filledEnv is .env.example with the required values an admin fills in.
func filledEnv(t *testing.T) map[string]string {
	_, env := exampleEnv(t)
	env["DOMAIN"] = "backups.msp.example"
	env["POSTGRES_PASSWORD"] = "0123456789abcdef0123456789abcdef"
	env["APP_SECRET_KEY"] = strings.Repeat("k", 64)
	return env
}

func load(t *testing.T, env map[string]string, opts ...cli.ProjectOptionsFn) (*types.Project, error) {
	t.Helper()
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts = append([]cli.ProjectOptionsFn{cli.WithWorkingDirectory("."), cli.WithEnv(list),
		cli.WithProfiles([]string{"*"}), cli.WithName("backupchecks")}, opts...)
	o, err := cli.NewProjectOptions([]string{stackFile}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return o.LoadProject(context.Background())
}

func mustLoad(t *testing.T) *types.Project {
	t.Helper()
	p, err := load(t, filledEnv(t))
	if err != nil {
		t.Fatalf("load %s: %v", stackFile, err)
	}
	return p
}

func TestStackServices(t *testing.T) {
	p := mustLoad(t)
	var names []string
	for name := range p.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"adminer", "app", "backup", "caddy", "postgres", "worker"}
	if !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	for name, s := range p.Services {
		if s.Restart != "unless-stopped" {
			t.Errorf("%s: restart %q, want unless-stopped", name, s.Restart)
		}
		if s.Logging == nil || s.Logging.Driver != "json-file" || s.Logging.Options["max-size"] == "" || s.Logging.Options["max-file"] == "" {
			t.Errorf("%s: logs not rotated (json-file with max-size and max-file): %+v", name, s.Logging)
		}
		if s.Deploy == nil || s.Deploy.Resources.Limits == nil || s.Deploy.Resources.Limits.MemoryBytes <= 0 || s.Deploy.Resources.Limits.NanoCPUs <= 0 {
			t.Errorf("%s: no cpu and memory limits", name)
		}
		// Third-party images name their version; ours is built from this repository.
		if name != "app" && name != "worker" {
			if _, tag, ok := strings.Cut(s.Image, ":"); !ok || tag == "latest" {
				t.Errorf("%s: image %q has no version tag", name, s.Image)
			}
		}
	}
}

// TestStackPorts: only Caddy is reachable from outside, on 80 and 443; Adminer only on
// the loopback interface and only with its profile.
func TestStackPorts(t *testing.T) {
	p := mustLoad(t)
	for name, s := range p.Services {
		switch name {
		case "caddy":
			var got []string
			for _, port := range s.Ports {
				got = append(got, port.Published+"->"+port.Protocol+"/"+strconv.Itoa(int(port.Target)))
			}
			want := []string{"80->tcp/80", "443->tcp/443", "443->udp/443"}
			if !slices.Equal(got, want) {
				t.Errorf("caddy publishes %v, want %v", got, want)
			}
		case "adminer":
			if len(s.Ports) != 1 || s.Ports[0].HostIP != "127.0.0.1" {
				t.Errorf("adminer ports %+v, want one on 127.0.0.1", s.Ports)
			}
			if !slices.Equal(s.Profiles, []string{"adminer"}) {
				t.Errorf("adminer profiles %v, want [adminer]", s.Profiles)
			}
		default:
			if len(s.Ports) > 0 {
				t.Errorf("%s publishes %+v; only caddy (and adminer on localhost) may", name, s.Ports)
			}
		}
	}
}

func TestStackDatabase(t *testing.T) {
	p := mustLoad(t)
	pg := p.Services["postgres"]
	if pg.HealthCheck == nil || pg.HealthCheck.Disable || len(pg.HealthCheck.Test) == 0 || !strings.Contains(strings.Join(pg.HealthCheck.Test, " "), "pg_isready") {
		t.Errorf("postgres health check %+v, want pg_isready", pg.HealthCheck)
	}
	if !hasVolume(pg, "volume", "pgdata", "/var/lib/postgresql/data") {
		t.Errorf("postgres data is not on the named volume pgdata: %+v", pg.Volumes)
	}
	if _, ok := p.Volumes["pgdata"]; !ok {
		t.Error("volume pgdata is not declared")
	}
	for _, name := range []string{"app", "worker", "backup"} {
		if dep := p.Services[name].DependsOn["postgres"]; dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s starts before postgres is healthy (depends_on %+v)", name, dep)
		}
	}
	if dep := p.Services["caddy"].DependsOn["app"]; dep.Condition != types.ServiceConditionHealthy {
		t.Errorf("caddy starts before the app is healthy (depends_on %+v)", dep)
	}
	if !hasVolume(p.Services["caddy"], "volume", "caddy_data", "/data") {
		t.Error("caddy's certificates are not on a named volume")
	}
	b := p.Services["backup"]
	if !hasVolume(b, "bind", "", "/backups") || b.Environment["BACKUP_KEEP_DAYS"] == nil {
		t.Errorf("backup service: want a bind mount on /backups and BACKUP_KEEP_DAYS, got %+v", b.Volumes)
	}
}

func hasVolume(s types.ServiceConfig, typ, source, target string) bool {
	for _, v := range s.Volumes {
		if v.Type == typ && v.Target == target && (source == "" || v.Source == source) {
			return true
		}
	}
	return false
}

// TestStackScaleOut: web replicas and workers share one database; the app trusts the
// forwarded headers of Caddy's network alone and knows it is served over https.
func TestStackScaleOut(t *testing.T) {
	env := filledEnv(t)
	env["APP_REPLICAS"], env["WORKER_REPLICAS"] = "3", "2"
	p, err := load(t, env)
	if err != nil {
		t.Fatal(err)
	}
	app, worker := p.Services["app"], p.Services["worker"]
	if !slices.Equal([]string(app.Command), []string{"serve"}) || !slices.Equal([]string(worker.Command), []string{"worker"}) {
		t.Errorf("commands: app %v, worker %v; want serve and worker", app.Command, worker.Command)
	}
	if app.Deploy.Replicas == nil || *app.Deploy.Replicas != 3 || worker.Deploy.Replicas == nil || *worker.Deploy.Replicas != 2 {
		t.Errorf("replicas do not follow APP_REPLICAS / WORKER_REPLICAS: %v %v", app.Deploy.Replicas, worker.Deploy.Replicas)
	}
	if *app.Environment["DATABASE_URL"] != *worker.Environment["DATABASE_URL"] {
		t.Error("app and worker use different databases")
	}
	if got := *app.Environment["BASE_URL"]; got != "https://backups.msp.example" {
		t.Errorf("BASE_URL %q, want https://$DOMAIN", got)
	}
	proxy := p.Networks["proxy"]
	if !proxy.Internal || len(proxy.Ipam.Config) != 1 {
		t.Fatalf("proxy network %+v: want internal with one subnet", proxy)
	}
	if got := *app.Environment["TRUSTED_PROXIES"]; got != proxy.Ipam.Config[0].Subnet {
		t.Errorf("TRUSTED_PROXIES %q, want the proxy network's subnet %q", got, proxy.Ipam.Config[0].Subnet)
	}
	if _, ok := app.Networks["proxy"]; !ok {
		t.Error("the app is not on the proxy network")
	}
	if _, ok := p.Services["caddy"].Networks["proxy"]; !ok {
		t.Error("caddy is not on the proxy network")
	}
	for name, s := range p.Services {
		if _, ok := s.Networks["proxy"]; ok && name != "app" && name != "caddy" {
			t.Errorf("%s is on the proxy network, whose forwarded headers the app believes", name)
		}
	}
	if app.HealthCheck == nil || app.HealthCheck.Disable {
		t.Error("the app has no health check (caddy waits for it)")
	}
	if !app.ReadOnly || !slices.Contains(app.Tmpfs, "/tmp") {
		t.Error("the app's root filesystem should be read-only with a tmpfs /tmp")
	}
}

// TestStackRefusesEmptySecrets: .env.example as it is must not start a stack.
func TestStackRefusesEmptySecrets(t *testing.T) {
	_, env := exampleEnv(t)
	_, err := load(t, env)
	if err == nil {
		t.Fatal("the stack loads with .env.example's empty secrets")
	}
	for _, name := range []string{"DOMAIN", "POSTGRES_PASSWORD", "APP_SECRET_KEY"} {
		if env[name] != "" {
			t.Errorf(".env.example sets %s: secrets and the domain must be left for the admin", name)
		}
	}
	if !strings.Contains(err.Error(), "set ") {
		t.Errorf("error %q does not say what to set", err)
	}
}

var (
	varRef    = regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)`)
	secretKey = regexp.MustCompile(`(?i)password|secret|token|key|database_url`)
)

// TestStackNoLiteralSecrets: every secret in the stack comes from a variable, with no
// default value (in the raw file, before interpolation).
func TestStackNoLiteralSecrets(t *testing.T) {
	o, err := cli.NewProjectOptions([]string{stackFile}, cli.WithWorkingDirectory("."), cli.WithInterpolation(false),
		cli.WithProfiles([]string{"*"}), cli.WithName("backupchecks"))
	if err != nil {
		t.Fatal(err)
	}
	model, err := o.LoadModel(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	services, _ := model["services"].(map[string]any)
	checked := 0
	for name, s := range services {
		env, _ := s.(map[string]any)["environment"].(map[string]any)
		for key, v := range env {
			value, _ := v.(string)
			if !secretKey.MatchString(key) {
				continue
			}
			checked++
			if literalSecret(value) {
				t.Errorf("%s: %s = %q holds a literal secret; take it from a variable without a default", name, key, value)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d secret-like variables; is the model read right?", checked)
	}
}

// literalSecret reports whether value holds secret text outside variable references,
// or a reference with a non-empty default (${X:-secret}).
func literalSecret(value string) bool {
	if strings.Contains(value, "://") { // a URL: only its password part is secret
		_, rest, _ := strings.Cut(value, "://")
		userinfo, _, ok := strings.Cut(rest, "@")
		if !ok {
			return false
		}
		_, pass, ok := strings.Cut(userinfo, ":${")
		return !ok || !strings.HasPrefix(pass, "POSTGRES_PASSWORD:?")
	}
	for value != "" {
		i := strings.Index(value, "${")
		if i < 0 {
			return true
		}
		if i > 0 {
			return true
		}
		end := strings.Index(value, "}")
		if end < 0 {
			return true
		}
		ref := value[2:end]
		if _, def, ok := strings.Cut(ref, ":-"); ok && def != "" {
			return true
		}
		value = value[end+1:]
	}
	return false
}

// TestStackVariablesDocumented: every variable the stack reads is in .env.example, and
// .env.example documents nothing the stack ignores.
func TestStackVariablesDocumented(t *testing.T) {
	raw, err := os.ReadFile(stackFile)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range varRef.FindAllStringSubmatchIndex(string(raw), -1) {
		if m[0] > 0 && raw[m[0]-1] == '$' { // $${X}: the container's shell variable
			continue
		}
		used[string(raw[m[2]:m[3]])] = true
	}
	caddy, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	names, _ := exampleEnv(t)
	for name := range used {
		if !slices.Contains(names, name) {
			t.Errorf("%s is used by the stack but not documented in .env.example", name)
		}
	}
	for _, name := range names {
		if !used[name] {
			t.Errorf(".env.example documents %s, which the stack does not use", name)
		}
	}
	for _, name := range regexp.MustCompile(`\{\$([A-Z_]+)\}`).FindAllStringSubmatch(string(caddy), -1) {
		if env := mustLoad(t).Services["caddy"].Environment; env[name[1]] == nil {
			t.Errorf("the Caddyfile reads %s, which the caddy service does not set", name[1])
		}
	}
}

// TestCaddyfile: Caddy proxies to every web replica, passes live updates on at once
// and serves the configured domain.
func TestCaddyfile(t *testing.T) {
	raw, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{"{$DOMAIN} {", "reverse_proxy", "name app", "port 8080", "flush_interval -1", "health_uri /health"} {
		if !strings.Contains(s, want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}
	for _, mount := range []string{"./Caddyfile", "./backup.sh"} {
		if _, err := os.Stat(mount); err != nil {
			t.Errorf("the stack mounts %s: %v", mount, err)
		}
	}
}
