// Package soak_test is `make soak`: the built binary run as it runs in production —
// two web replicas and two workers on one PostgreSQL — crashed, its database restarted
// under load, and its peers (Microsoft Graph, IMAP, Autotask, Cove) made to throttle,
// fail, hang and answer garbage, for a few minutes. It checks that no mail is lost or
// imported twice, no run is duplicated, no request hangs past its timeout, live
// updates reach both web replicas and background work resumes by itself, and prints
// the figures. It needs BACKUPCHECKS_SOAK=1 (go test ./... skips it).
package soak_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/autotask/autotasktest"
	"github.com/backupchecks/backupchecks/app/mail/graph/graphtest"
	"github.com/backupchecks/backupchecks/app/mail/imap/imaptest"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

const (
	secretKey     = "soak-secret-key-soak-secret-key-0123456789"
	adminPassword = "correct horse battery staple"
	// requestTimeout is the app's per-request deadline (app/observe.go).
	requestTimeout = 60 * time.Second
)

type soak struct {
	tmp, bin string
	pg       *postgres
	d        *db.DB
	enqueue  *jobs.Queue
	graph    *graphtest.FakeServer
	autotask *autotasktest.Server
	procs    []*proc
	figures  []string
	mailSeq  int
}

func (s *soak) figure(format string, args ...any) {
	s.figures = append(s.figures, fmt.Sprintf(format, args...))
}

func TestSoak(t *testing.T) {
	if os.Getenv("BACKUPCHECKS_SOAK") == "" {
		t.Skip("the soak runs with make soak (BACKUPCHECKS_SOAK=1): it builds the binary and restarts its own PostgreSQL")
	}
	began := time.Now()
	s := setup(t)
	defer func() {
		fmt.Printf("\n==> soak figures (%s)\n", time.Since(began).Round(time.Second))
		for _, f := range s.figures {
			fmt.Println("   ", f)
		}
		if t.Failed() {
			for _, p := range s.procs {
				fmt.Printf("\n--- last log lines of %s ---\n%s\n", p.name, p.tail(25))
			}
		}
	}()

	web1 := s.crashDuringImport(t)
	s.scaleOutAndRestartDatabase(t, web1)
	s.faultyPeers(t)
	s.faultyCove(t)

	for _, p := range s.procs {
		if p.cmd.ProcessState != nil {
			continue // the one killed on purpose
		}
		if err := p.stop(t); err != nil {
			t.Errorf("%s: graceful stop: %v", p.name, err)
		}
	}
}

func setup(t *testing.T) *soak {
	t.Helper()
	root := repoRoot(t)
	tmp, err := os.MkdirTemp("", "bc-soak.")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(tmp, 0o755) // as root, the postgres user reaches the cluster in it
	s := &soak{tmp: tmp, bin: filepath.Join(tmp, "backupchecks")}
	build := exec.Command("go", "build", "-o", s.bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s.pg = &postgres{root: root, dir: filepath.Join(tmp, "db"), port: 57000 + int(time.Now().UnixNano()%900)}
	s.pg.start(t)
	t.Cleanup(func() {
		for _, p := range s.procs {
			if p.cmd.ProcessState == nil {
				_ = p.cmd.Process.Kill()
			}
		}
		s.pg.stop(t)
		if !t.Failed() {
			os.RemoveAll(tmp)
		}
	})

	s.graph = graphtest.NewFakeServer(t)
	s.graph.AddFolder("Inbox/Processed")
	s.autotask = autotasktest.NewServer(t)

	migrate := exec.Command(s.bin, "migrate")
	migrate.Env = append(os.Environ(), "DATABASE_URL="+s.pg.url)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	ctx := context.Background()
	s.d, err = db.Open(ctx, s.pg.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.d.Close)
	// An insert-only River client: the soak enqueues what an admin's clicks would.
	client, err := river.NewClient(riverpgxv5.New(s.d.Pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.enqueue = &jobs.Queue{DB: s.d, Client: client}

	if _, err := auth.CreateUser(ctx, s.d.Bun, audit.Actor{Name: "soak"}, auth.NewUser{Username: "admin",
		Roles: []string{db.RoleAdmin}, Password: adminPassword}); err != nil {
		t.Fatal(err)
	}
	// The job the reports belong to, so that every mail becomes a run.
	dbtest.Fixture(t, s.d).Customer("Acme").Job(dbtest.Job{Name: "Daily Office Backup", Software: "Synology",
		Type: "Active Backup for Business", From: "nas-office01@example.com"})
	s.useGraph(t)
	return s
}

func (s *soak) keys() *secrets.Keyring { return secrets.NewKeyring(secretKey) }

func (s *soak) useGraph(t *testing.T) {
	t.Helper()
	cfg := s.graph.Config("Inbox", "Inbox/Processed")
	if _, err := settings.UpdateImports(context.Background(), s.d.Bun, s.keys(), audit.Actor{Name: "soak"}, settings.ImportsInput{
		Source: "graph", Enabled: true, IntervalMinutes: "60", BatchSize: "10",
		GraphTenantID: cfg.TenantID, GraphClientID: cfg.ClientID, GraphClientSecret: cfg.ClientSecret, GraphMailbox: cfg.Mailbox,
		GraphSourceFolder: "Inbox", GraphProcessedFolder: "Inbox/Processed",
	}); err != nil {
		t.Fatal(err)
	}
}

// report is a Synology Active Backup report, a format the default parsers read: each
// one a run of the soak's job.
func (s *soak) report() []byte {
	s.mailSeq++
	n := s.mailSeq
	at := time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
	return []byte(fmt.Sprintf("From: NAS Office <nas-office01@example.com>\r\nTo: backups@msp.example.com\r\n"+
		"Subject: [nas-office01] Active Backup for Business - Backup task Daily Office Backup on nas-office01 has been completed\r\n"+
		"Date: %s\r\nMessage-ID: <soak-%d@nas-office01.example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Backup task Daily Office Backup on nas-office01 has been completed.\r\n\r\nStart time: %s\r\nEnd time: %s\r\n"+
		"Transferred size: 1.2 GB\r\nDevice list: pc-reception01\r\n\r\nFrom nas-office01\r\n",
		at.Format(time.RFC1123Z), n, at.Format("01/02/2006 15:04"), at.Add(20*time.Minute).Format("01/02/2006 15:04")))
}

func (s *soak) addGraphMails(n int) {
	for range n {
		s.graph.AddMessage("Inbox", s.report(), time.Now())
	}
}

func (s *soak) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.d.Bun.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// countErr is count for polling while the database may be down.
func (s *soak) countErr(query string, args ...any) (int, error) {
	var n int
	err := s.d.Bun.NewRaw(query, args...).Scan(context.Background(), &n)
	return n, err
}

// importNow is the admin's Import now: a task and its River job.
func (s *soak) importNow(t *testing.T) int64 {
	t.Helper()
	id, err := s.enqueue.StartMailImport(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitTask waits for an Import now to finish and returns its row.
func (s *soak) waitTask(t *testing.T, id int64, limit time.Duration) *db.BackgroundTask {
	t.Helper()
	var task *db.BackgroundTask
	waitFor(t, fmt.Sprintf("import task %d", id), limit, func() (bool, error) {
		var err error
		task, err = tasks.Get(context.Background(), s.d.Bun, id)
		return err == nil && task.FinishedAt != nil, err
	})
	return task
}

// checkMailsOnce: every mail stored once and a run each; nothing left in the source.
func (s *soak) checkMailsOnce(t *testing.T, want int) {
	t.Helper()
	if n := s.count(t, `SELECT count(*) FROM mail_messages`); n != want {
		t.Errorf("%d mails stored, want %d", n, want)
	}
	if n := s.count(t, `SELECT count(*) FROM (SELECT message_id FROM mail_messages GROUP BY message_id HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d mails stored more than once", n)
	}
	if n := s.count(t, `SELECT count(*) FROM job_runs WHERE source_type = 'email' OR source_type IS NULL`); n != want {
		t.Errorf("%d runs, want one per mail (%d)", n, want)
	}
	if n := s.count(t, `SELECT count(*) FROM (SELECT mail_message_id FROM job_runs WHERE mail_message_id IS NOT NULL
		GROUP BY mail_message_id HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d mails made more than one run", n)
	}
}

// crashDuringImport: a throttled Graph import is killed (kill -9) half-way; after a
// restart the next import takes the rest: every mail once, all moved.
func (s *soak) crashDuringImport(t *testing.T) *proc {
	const mails = 120
	s.addGraphMails(mails)
	// Throttled: a few 429s with Retry-After, then every download a little slow.
	s.graph.Throttle(3, "1")
	s.graph.Inject(graphtest.Fault{Match: "/$value", Times: 10 * mails, Delay: 40 * time.Millisecond})
	web1 := s.start(t, "web1", "serve")
	task := s.importNow(t)
	waitFor(t, "the import to be half-way", 2*time.Minute, func() (bool, error) {
		n, err := s.countErr(`SELECT count(*) FROM mail_messages`)
		return n >= mails/3, err
	})
	web1.kill9(t)
	stored := s.count(t, `SELECT count(*) FROM mail_messages`)
	s.figure("crash: kill -9 of serve with %d of %d mails stored (import task %d left running)", stored, mails, task)
	if stored >= mails {
		t.Fatalf("the import finished before the kill (%d mails): nothing was tested", stored)
	}

	restarted := time.Now()
	web1 = s.start(t, "web1-restarted", "serve")
	s.figure("crash: serve healthy again %.1f s after the restart", time.Since(restarted).Seconds())
	again := s.waitTask(t, s.importNow(t), 3*time.Minute)
	if again.Status != "done" {
		t.Fatalf("the import after the crash: %s: %s", again.Status, again.Message)
	}
	s.graph.ClearFaults()
	s.checkMailsOnce(t, mails)
	if left := len(s.graph.Messages("Inbox")); left != 0 {
		t.Errorf("%d mails left in the source folder after the crash and restart", left)
	}
	if moved := len(s.graph.Messages("Inbox/Processed")); moved != mails {
		t.Errorf("%d mails moved to Processed, want %d", moved, mails)
	}
	s.figure("crash: after restart %d mails stored once, %d moved, %d runs", s.count(t, `SELECT count(*) FROM mail_messages`),
		len(s.graph.Messages("Inbox/Processed")), s.count(t, `SELECT count(*) FROM job_runs`))
	return web1
}

// valueFetches counts the downloads ($value) per message in the fake's calls from
// index from on, and returns how many messages were downloaded more than once.
func (s *soak) valueFetches(from int) (fetched, twice int) {
	per := map[string]int{}
	for _, c := range s.graph.Calls()[from:] {
		if strings.HasSuffix(c.Path, "/$value") && c.Status == http.StatusOK {
			per[c.Path]++
		}
	}
	for _, n := range per {
		if n > 1 {
			twice++
		}
	}
	return len(per), twice
}

// scaleOutAndRestartDatabase runs two web replicas and two workers under steady page
// traffic with live streams open on both replicas, imports in waves, and restarts
// PostgreSQL between two waves.
func (s *soak) scaleOutAndRestartDatabase(t *testing.T, web1 *proc) {
	web2 := s.start(t, "web2", "serve", "--no-migrate")
	s.start(t, "worker1", "worker", "--no-migrate")
	s.start(t, "worker2", "worker", "--no-migrate")
	webs := []*proc{web1, web2}
	b := login(t, web1, "admin", adminPassword)
	// The session made on web1 is valid on web2: sessions live in PostgreSQL.
	if resp, err := b.http.Get("http://" + web2.addr + "/inbox"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("web2 with web1's session: %v %v", resp, err)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	streams := []*stream{b.openStream(ctx, web1), b.openStream(ctx, web2)}
	var traffic load
	wg := traffic.run(ctx, b, webs, 4)
	calls := len(s.graph.Calls())
	base := s.count(t, `SELECT count(*) FROM mail_messages`)

	wave := func(name string, n int) {
		t.Helper()
		start := time.Now()
		s.addGraphMails(n)
		task := s.waitTask(t, s.importNow(t), 2*time.Minute)
		if task.Status != "done" {
			t.Fatalf("%s: import %s: %s", name, task.Status, task.Message)
		}
		base += n
		waitFor(t, name+": live events on both web replicas", 30*time.Second, func() (bool, error) {
			return streams[0].since(start, "") > 0 && streams[1].since(start, "") > 0, nil
		})
		s.figure("%s: %d mails imported in %.1f s; live events: web1 %d, web2 %d", name, n, time.Since(start).Seconds(),
			streams[0].since(start, ""), streams[1].since(start, ""))
	}
	loadStart := time.Now()
	wave("wave 1 (2 web + 2 workers)", 100)

	// PostgreSQL restarted under load.
	down := time.Now()
	s.pg.stop(t)
	time.Sleep(3 * time.Second)
	s.pg.start(t)
	up := time.Now()
	var recovery time.Duration
	for _, p := range webs {
		recovery = max(recovery, s.waitHealthy(t, p, time.Minute))
	}
	s.figure("database: down %.1f s; both web replicas healthy %.1f s after it was back", up.Sub(down).Seconds(), recovery.Seconds())
	time.Sleep(2 * time.Second) // traffic after the recovery, in the same window
	n, failed, maxLat, _ := traffic.window(down, time.Now())
	s.figure("database: %d requests during the outage and recovery, %d failed fast (5xx), slowest %.2f s (timeout %s)",
		n, failed, maxLat.Seconds(), requestTimeout)
	if maxLat > requestTimeout+5*time.Second {
		t.Errorf("a request took %s during the outage, past the %s timeout", maxLat, requestTimeout)
	}

	wave("wave 2 (after the restart)", 100)
	// River records a job's completion shortly after the work ends.
	waitFor(t, "a background job completed after the database restart", 30*time.Second, func() (bool, error) {
		n, err := s.countErr(`SELECT count(*) FROM river_job WHERE finalized_at > ? AND state = 'completed'`, up)
		return n > 0, err
	})
	stop()
	wg.Wait()
	n, failed, maxLat, p95 := traffic.window(loadStart, time.Now())
	s.figure("traffic: %d page requests on 2 replicas, %d failed (all within the outage), p95 %.0f ms, slowest %.2f s",
		n, failed, float64(p95.Milliseconds()), maxLat.Seconds())
	if _, afterFailed, _, _ := traffic.window(up.Add(recovery+2*time.Second), time.Now()); afterFailed > 0 {
		t.Errorf("%d requests failed after the recovery", afterFailed)
	}

	s.checkMailsOnce(t, base)
	fetched, twice := s.valueFetches(calls)
	s.figure("scale-out: %d mails downloaded, %d of them twice; %d runs in all, 0 duplicates checked", fetched, twice,
		s.count(t, `SELECT count(*) FROM job_runs`))
	if twice > 0 {
		t.Errorf("%d mails were downloaded by two imports", twice)
	}
	// Periodic jobs ran once however many processes (and leaders) came and went.
	if n := s.count(t, `SELECT count(*) FROM river_job WHERE kind = 'session_cleanup'`); n != 1 {
		t.Errorf("session_cleanup ran %d times, want once", n)
	}
}

// faultyPeers: Graph throttles, fails and answers garbage; IMAP refuses, babbles and
// hangs; Autotask throttles and fails. Each is retried or reported clearly, and once
// the peer behaves the next pass takes everything: nothing is lost.
func (s *soak) faultyPeers(t *testing.T) {
	ctx := context.Background()
	base := s.count(t, `SELECT count(*) FROM mail_messages`)

	// Graph: garbage in place of the message list fails the pass with a clear error.
	s.addGraphMails(30)
	s.graph.Inject(graphtest.Fault{Match: "/messages", Times: 1, Garbage: "<html><body>502 Bad Gateway</body></html>"})
	task := s.waitTask(t, s.importNow(t), time.Minute)
	if task.Status != "failed" || task.Message == "" {
		t.Errorf("graph garbage: task %s %q, want failed with a message", task.Status, task.Message)
	}
	s.figure("graph garbage: import failed with %q", task.Message)
	// 500s and 429s are retried within the pass.
	calls := len(s.graph.Calls())
	s.graph.FailNext(2, http.StatusInternalServerError)
	s.graph.Throttle(2, "1")
	s.graph.FailNext(1, http.StatusServiceUnavailable)
	task = s.waitTask(t, s.importNow(t), 2*time.Minute)
	if task.Status != "done" {
		t.Fatalf("graph 500/429/503: import %s: %s", task.Status, task.Message)
	}
	faults := 0
	for _, c := range s.graph.Calls()[calls:] {
		if c.Status == http.StatusTooManyRequests || c.Status >= 500 {
			faults++
		}
	}
	base += 30
	s.checkMailsOnce(t, base)
	s.figure("graph 500/429/503: %d faulty answers retried, the 30 mails imported once", faults)

	// IMAP through a proxy that refuses, answers garbage, then hangs.
	srv := imaptest.NewServer(t)
	srv.CreateFolder("Processed")
	for range 20 {
		srv.Append("INBOX", s.report(), time.Now())
	}
	proxy := newIMAPProxy(t, srv.Addr)
	if _, err := settings.UpdateImports(ctx, s.d.Bun, s.keys(), audit.Actor{Name: "soak"}, settings.ImportsInput{
		Source: "imap", Enabled: true, IntervalMinutes: "60", BatchSize: "10",
		IMAPHost: "127.0.0.1", IMAPPort: fmt.Sprint(proxy.port()), IMAPSecurity: "none",
		IMAPUsername: srv.Username, IMAPPassword: srv.Password, IMAPFolder: "INBOX", IMAPProcessedFolder: "Processed",
	}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"refuse", "garbage", "hang"} {
		proxy.mode.Store(mode)
		start := time.Now()
		task := s.waitTask(t, s.importNow(t), 2*time.Minute)
		if task.Status != "failed" || task.Message == "" {
			t.Errorf("imap %s: task %s %q, want failed with a message", mode, task.Status, task.Message)
		}
		s.figure("imap %s: import failed after %.1f s with %q", mode, time.Since(start).Seconds(), task.Message)
	}
	if n := s.count(t, `SELECT count(*) FROM mail_messages`); n != base {
		t.Errorf("failed IMAP passes changed the mails: %d, want %d", n, base)
	}
	proxy.mode.Store("pass")
	task = s.waitTask(t, s.importNow(t), time.Minute)
	if task.Status != "done" {
		t.Fatalf("imap after the faults: %s: %s", task.Status, task.Message)
	}
	base += 20
	s.checkMailsOnce(t, base)
	if left := len(srv.Messages("INBOX")); left != 0 {
		t.Errorf("%d mails left in the IMAP INBOX", left)
	}
	s.figure("imap: once the peer behaved, the 20 mails were imported once and moved")

	// Autotask: the sync of a ticket completed there goes through 429s and a 500.
	company := s.autotask.AddCompany("Acme", true)
	remote := s.autotask.AddTicket(company, "Backup failed", 5)
	if _, err := settings.UpdateAutotask(ctx, s.d.Bun, s.keys(), audit.Actor{Name: "soak"}, settings.AutotaskInput{
		Enabled: true, Environment: settings.AutotaskProduction, Username: autotasktest.Username,
		Secret: autotasktest.Secret, IntegrationCode: autotasktest.IntegrationCode, BaseURL: "http://" + s.procs[0].addr}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.d.Bun.ExecContext(ctx, `INSERT INTO tickets (ticket_code, autotask_ticket_id) VALUES ('T20260301.0001', ?)`, remote); err != nil {
		t.Fatal(err)
	}
	s.autotask.FailNext(2, http.StatusTooManyRequests, "1")
	s.autotask.FailNext(1, http.StatusInternalServerError, "")
	// The periodic sync (one per 10 minutes) ran at start: make room for one now.
	if _, err := s.d.Bun.ExecContext(ctx, `DELETE FROM river_job WHERE kind = 'autotask_sync' AND state <> 'running'`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := s.enqueue.Client.Insert(ctx, jobs.AutotaskSyncArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Autotask sync through its faults", 2*time.Minute, func() (bool, error) {
		n, err := s.countErr(`SELECT count(*) FROM tickets WHERE autotask_ticket_id = ? AND resolved_at IS NOT NULL`, remote)
		return n == 1, err
	})
	s.figure("autotask 429/429/500: retried, the completed ticket resolved after %.1f s", time.Since(start).Seconds())
}
