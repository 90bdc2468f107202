package soak_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the module root (the soak runs from soak/).
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// freePort asks the kernel for a loopback port that is free now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// postgres is the soak's own cluster (db/pgcluster.sh), which it stops and starts.
type postgres struct {
	root, dir string
	port      int
	url       string
}

func (p *postgres) script(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(p.root, "db", "pgcluster.sh"), args...)
	cmd.Env = append(os.Environ(), "PGCLUSTER_FAST=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pgcluster.sh %v: %v\n%s", args, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func (p *postgres) start(t *testing.T) {
	p.url = p.script(t, "start", p.dir, fmt.Sprint(p.port), "backupchecks")
}

func (p *postgres) stop(t *testing.T) { p.script(t, "stop", p.dir) }

// proc is one backupchecks process (serve or worker) started from the built binary.
type proc struct {
	name string
	addr string // web address, "" for a worker
	cmd  *exec.Cmd
	log  string
	done chan error
}

// start runs the binary with the soak's environment; a web process is waited for
// until /health answers.
func (s *soak) start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: filepath.Join(s.tmp, name+".log"), done: make(chan error, 1)}
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "DATABASE_URL="+s.pg.url, "APP_SECRET_KEY="+secretKey, "LOG_FORMAT=json", "LOG_LEVEL=info",
		"RIVER_MAX_WORKERS=4", "GRAPH_LOGIN_URL="+s.graph.URL, "GRAPH_API_URL="+s.graph.URL+"/v1.0",
		"AUTOTASK_ZONE_LOOKUP_URLS="+s.autotask.URL+"/zone1/atservicesrest/v1.0/zoneInformation")
	if args[0] == "serve" {
		p.addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		env = append(env, "LISTEN_ADDR="+p.addr, "BASE_URL=http://"+p.addr)
	}
	p.cmd = exec.Command(s.bin, args...)
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = env, logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait(); logf.Close() }()
	s.procs = append(s.procs, p)
	if p.addr != "" {
		s.waitHealthy(t, p, time.Minute)
	}
	return p
}

// kill9 ends the process at once, as a crash or an OOM kill would.
func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// stop asks for a graceful stop and waits for it.
func (p *proc) stop(t *testing.T) error {
	t.Helper()
	if p.cmd.ProcessState != nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within 60 s of SIGTERM", p.name)
	}
}

func (p *proc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *soak) waitHealthy(t *testing.T, p *proc, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := client.Get("http://" + p.addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start)
			}
		}
		if time.Since(start) > limit {
			t.Fatalf("%s not healthy after %s (%v)\n%s", p.name, limit, err, p.tail(30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// browser is a signed-in user's HTTP client (cookies are per host, so one login
// serves every replica on 127.0.0.1).
type browser struct {
	http *http.Client
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func login(t *testing.T, p *proc, username, password string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{http: &http.Client{Jar: jar, Timeout: 90 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := b.http.Get("http://" + p.addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field on the login page:\n%.500s", body)
	}
	resp, err = b.http.PostForm("http://"+p.addr+"/login", url.Values{"_csrf": {string(m[1])}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	return b
}

// stream is one open live-update stream (SSE) and the events it received.
type stream struct {
	mu     sync.Mutex
	events []streamEvent
	err    error
}

type streamEvent struct {
	at    time.Time
	topic string
}

func (b *browser) openStream(ctx context.Context, p *proc) *stream {
	st := &stream{}
	go func() {
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+p.addr+"/events?topic=inbox&topic=runs", nil)
			client := &http.Client{Jar: b.http.Jar} // no timeout: a stream lasts
			resp, err := client.Do(req)
			if err != nil {
				st.mu.Lock()
				st.err = err
				st.mu.Unlock()
				time.Sleep(time.Second)
				continue
			}
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if topic, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
					st.mu.Lock()
					st.events = append(st.events, streamEvent{time.Now(), topic})
					st.mu.Unlock()
				}
			}
			resp.Body.Close()
			time.Sleep(time.Second) // as the browser's EventSource reconnects
		}
	}()
	return st
}

// since counts the events of topic (or any topic for "") received after t.
func (st *stream) since(t time.Time, topic string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for _, e := range st.events {
		if e.at.After(t) && (topic == "" || e.topic == topic) {
			n++
		}
	}
	return n
}

// load is steady page traffic against every web replica; it records every answer.
type load struct {
	mu       sync.Mutex
	samples  []sample
	requests atomic.Int64
}

type sample struct {
	at      time.Time
	latency time.Duration
	status  int // 0: no answer (error)
	err     string
}

var loadPages = []string{"/", "/inbox", "/runchecks", "/daily", "/jobs", "/health", "/customers"}

func (l *load) run(ctx context.Context, b *browser, procs []*proc, workers int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				p := procs[(w+i)%len(procs)]
				page := loadPages[(w*3+i)%len(loadPages)]
				start := time.Now()
				rctx, cancel := context.WithTimeout(ctx, 90*time.Second)
				req, _ := http.NewRequestWithContext(rctx, "GET", "http://"+p.addr+page, nil)
				resp, err := b.http.Do(req)
				s := sample{at: start}
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					s.status = resp.StatusCode
				} else if ctx.Err() == nil {
					s.err = err.Error()
				}
				cancel()
				if ctx.Err() != nil && err != nil {
					return // the soak ended this request, not the server
				}
				s.latency = time.Since(start)
				l.requests.Add(1)
				l.mu.Lock()
				l.samples = append(l.samples, s)
				l.mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	return &wg
}

// window sums up the samples started within [from, to).
func (l *load) window(from, to time.Time) (n, failed int, maxLatency, p95 time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lat []time.Duration
	for _, s := range l.samples {
		if s.at.Before(from) || !s.at.Before(to) {
			continue
		}
		n++
		if s.status == 0 || s.status >= 500 {
			failed++
		}
		lat = append(lat, s.latency)
	}
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return n, failed, lat[len(lat)-1], lat[len(lat)*95/100]
}

// imapProxy sits between the app and the fake IMAP server and misbehaves on demand.
type imapProxy struct {
	ln     net.Listener
	target string
	mode   atomic.Value // "pass", "refuse", "garbage", "hang"
	conns  atomic.Int64
}

func newIMAPProxy(t *testing.T, target string) *imapProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &imapProxy{ln: ln, target: target}
	p.mode.Store("pass")
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			go p.serve(c)
		}
	}()
	return p
}

func (p *imapProxy) serve(c net.Conn) {
	defer c.Close()
	switch p.mode.Load().(string) {
	case "refuse":
		return // closed before the greeting
	case "garbage":
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n\x00\xff<html>upstream error</html>\r\n")
		return
	case "hang":
		// Accepts and never answers; further connections of the same pass are
		// refused, so that the pass ends after one timeout instead of one per dial.
		p.mode.Store("refuse")
		_, _ = io.Copy(io.Discard, c)
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(up, c) }()
	_, _ = io.Copy(c, up)
}

func (p *imapProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// waitFor polls cond until it holds or limit passes.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() (bool, error)) time.Duration {
	t.Helper()
	start := time.Now()
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return time.Since(start)
		}
		if err != nil {
			lastErr = err
		}
		if time.Since(start) > limit {
			t.Fatalf("timed out after %s waiting for %s (last error: %v)", limit, what, lastErr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
