package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

const pw = "correct horse battery"

var ctx = context.Background()

func newUser(t *testing.T, d *db.DB, name string, roles ...string) *db.User {
	t.Helper()
	u, err := auth.CreateUser(ctx, d.Bun, audit.Actor{Name: "test"}, auth.NewUser{Username: name, Roles: roles, Password: pw})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return u
}

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id PHC", h)
	}
	h2, _ := auth.HashPassword(pw)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	for _, tc := range []struct {
		hash, pw string
		want     bool
	}{
		{h, pw, true},
		{h, pw + " ", false},
		{h, "", false},
		{"$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5", pw, false},
		{"garbage", pw, false},
	} {
		if got := auth.VerifyPassword(tc.hash, tc.pw); got != tc.want {
			t.Errorf("VerifyPassword(%.20q…, %q) = %v, want %v", tc.hash, tc.pw, got, tc.want)
		}
	}
}

func TestCreateUserValidation(t *testing.T) {
	d := dbtest.New(t)
	newUser(t, d, "Alice", db.RoleAdmin)
	for _, tc := range []struct {
		name  string
		in    auth.NewUser
		field string
	}{
		{"duplicate username in another case", auth.NewUser{Username: "alice", Roles: []string{"viewer"}, Password: pw}, "username"},
		{"blank username", auth.NewUser{Username: "  ", Roles: []string{"viewer"}, Password: pw}, "username"},
		{"no role", auth.NewUser{Username: "bob", Password: pw}, "roles"},
		{"unknown role", auth.NewUser{Username: "bob", Roles: []string{"root"}, Password: pw}, "roles"},
		{"short password", auth.NewUser{Username: "bob", Roles: []string{"viewer"}, Password: "short"}, "password"},
		{"bad email", auth.NewUser{Username: "bob", Roles: []string{"viewer"}, Password: pw, Email: "bob@"}, "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.CreateUser(ctx, d.Bun, audit.Actor{}, tc.in)
			errs, ok := validation.As(err)
			if !ok || errs[tc.field] == "" {
				t.Fatalf("err = %v, want a message for %s", err, tc.field)
			}
		})
	}
}

func TestLastAdminIsKept(t *testing.T) {
	d := dbtest.New(t)
	admin := newUser(t, d, "admin", db.RoleAdmin)
	if _, err := auth.SetActive(ctx, d.Bun, audit.Actor{}, admin.ID, false); !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("deactivate last admin: err = %v, want ErrLastAdmin", err)
	}
	_, err := auth.UpdateUser(ctx, d.Bun, audit.Actor{}, admin.ID, auth.UserChanges{Roles: []string{db.RoleViewer}})
	if errs, ok := validation.As(err); !ok || errs["roles"] == "" {
		t.Fatalf("demote last admin: err = %v, want a roles message", err)
	}
	second := newUser(t, d, "second", db.RoleAdmin, db.RoleOperator)
	u, err := auth.UpdateUser(ctx, d.Bun, audit.Actor{}, admin.ID, auth.UserChanges{Roles: []string{db.RoleViewer}})
	if err != nil {
		t.Fatalf("demote with another admin present: %v", err)
	}
	if u.ActiveRole != db.RoleViewer {
		t.Errorf("active role = %s, want viewer (admin no longer held)", u.ActiveRole)
	}
	if _, err := auth.SetActive(ctx, d.Bun, audit.Actor{}, second.ID, false); !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("deactivate the now last admin: err = %v, want ErrLastAdmin", err)
	}
}

func TestSessions(t *testing.T) {
	d := dbtest.New(t)
	p := auth.SessionPolicy{MaxAge: 12 * time.Hour, IdleTimeout: 2 * time.Hour}
	u := newUser(t, d, "ops", db.RoleOperator)
	other := newUser(t, d, "admin", db.RoleAdmin)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tok, err := auth.CreateSession(ctx, d.Bun, p, u.ID, "192.0.2.1", "test", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		token string
		at    time.Time
		ok    bool
	}{
		{"fresh", tok, now.Add(time.Minute), true},
		{"used within idle timeout", tok, now.Add(90 * time.Minute), true}, // touches last_seen
		{"idle since last use but within timeout", tok, now.Add(200 * time.Minute), true},
		{"past max age", tok, now.Add(13 * time.Hour), false},
		{"unknown token", "nope", now, false},
		{"empty token", "", now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := auth.LookupSession(ctx, d.Bun, p, tc.token, tc.at)
			if tc.ok && (err != nil || s.User.ID != u.ID) {
				t.Fatalf("want the session of %d, got %v, %v", u.ID, s, err)
			}
			if !tc.ok && !errors.Is(err, auth.ErrNoSession) {
				t.Fatalf("err = %v, want ErrNoSession", err)
			}
		})
	}
	idle, _ := auth.CreateSession(ctx, d.Bun, p, u.ID, "", "", now)
	if _, err := auth.LookupSession(ctx, d.Bun, p, idle, now.Add(2*time.Hour+time.Second)); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("idle session: err = %v, want ErrNoSession", err)
	}
	live, _ := auth.CreateSession(ctx, d.Bun, p, u.ID, "", "", time.Now())
	if _, err := auth.SetActive(ctx, d.Bun, audit.Actor{ID: other.ID}, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LookupSession(ctx, d.Bun, p, live, time.Now()); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("session of a deactivated user: err = %v, want ErrNoSession", err)
	}
}

func TestLoginThrottle(t *testing.T) {
	d := dbtest.New(t)
	newUser(t, d, "ops", db.RoleOperator)
	th := auth.Throttle{Window: 15 * time.Minute, PerAccount: 3, PerIP: 5}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	if _, err := auth.Login(ctx, d.Bun, th, "OPS", pw, "192.0.2.1", now); err != nil {
		t.Fatalf("good login (username in another case): %v", err)
	}
	for i := range 3 {
		if _, err := auth.Login(ctx, d.Bun, th, "ops", "wrong", "192.0.2.1", now.Add(time.Duration(i)*time.Minute)); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("attempt %d: err = %v, want ErrBadCredentials", i, err)
		}
	}
	var te *auth.ThrottledError
	_, err := auth.Login(ctx, d.Bun, th, "ops", pw, "192.0.2.9", now.Add(3*time.Minute))
	if !errors.As(err, &te) {
		t.Fatalf("right password after 3 failures: err = %v, want throttled", err)
	}
	if te.RetryAfter != 12*time.Minute {
		t.Errorf("retry after %v, want 12m (the first failure leaves the window then)", te.RetryAfter)
	}
	if _, err := auth.Login(ctx, d.Bun, th, "ops", pw, "192.0.2.9", now.Add(16*time.Minute)); err != nil {
		t.Fatalf("after the window: %v", err)
	}

	// Per IP: failures across many accounts from one address.
	for i := range 5 {
		_, _ = auth.Login(ctx, d.Bun, th, "nobody"+string(rune('a'+i)), "x", "198.51.100.7", now.Add(20*time.Minute))
	}
	if _, err := auth.Login(ctx, d.Bun, th, "ops", pw, "198.51.100.7", now.Add(21*time.Minute)); !errors.As(err, &te) {
		t.Fatalf("login from a spraying IP: err = %v, want throttled", err)
	}
	var failures int
	if err := d.Bun.NewRaw("SELECT count(*) FROM audit_log WHERE action = 'login.failure'").Scan(ctx, &failures); err != nil {
		t.Fatal(err)
	}
	if failures != 10 {
		t.Errorf("%d login failures audited, want 10", failures)
	}
}

func TestDeactivatedUserCannotLogIn(t *testing.T) {
	d := dbtest.New(t)
	newUser(t, d, "admin", db.RoleAdmin)
	u := newUser(t, d, "ops", db.RoleOperator)
	if _, err := auth.SetActive(ctx, d.Bun, audit.Actor{}, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Login(ctx, d.Bun, auth.DefaultThrottle, "ops", pw, "192.0.2.1", time.Now()); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("err = %v, want ErrBadCredentials", err)
	}
}

func TestCaptcha(t *testing.T) {
	k := secrets.NewKeyring("0123456789abcdef0123456789abcdef")
	now := time.Now()
	c := auth.NewCaptcha(k, now)
	var a, b int
	if _, err := fmtSscanf(c.Question, &a, &b); err != nil {
		t.Fatalf("question %q: %v", c.Question, err)
	}
	answer := itoa(a + b)
	if !auth.CheckCaptcha(k, c.Token, answer, now) {
		t.Fatal("right answer rejected")
	}
	if !auth.CheckCaptcha(k, c.Token, " "+answer+" ", now) {
		t.Fatal("right answer with spaces rejected")
	}
	if auth.CheckCaptcha(k, c.Token, itoa(a+b+1), now) {
		t.Fatal("wrong answer accepted")
	}
	if auth.CheckCaptcha(k, c.Token, answer, now.Add(11*time.Minute)) {
		t.Fatal("expired captcha accepted")
	}
	if auth.CheckCaptcha(secrets.NewKeyring("another-key-another-key-another-k"), c.Token, answer, now) {
		t.Fatal("captcha made with another key accepted")
	}
}

func TestCSRFToken(t *testing.T) {
	k := secrets.NewKeyring("0123456789abcdef0123456789abcdef")
	seed := auth.NewCSRFSeed()
	tok := auth.CSRFToken(k, seed)
	if !auth.CheckCSRF(k, seed, tok) {
		t.Fatal("valid token rejected")
	}
	if auth.CheckCSRF(k, auth.NewCSRFSeed(), tok) || auth.CheckCSRF(k, seed, "") || auth.CheckCSRF(k, "", tok) {
		t.Fatal("invalid token accepted")
	}
}
