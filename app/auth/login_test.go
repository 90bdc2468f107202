package auth_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestSecurityLoginThrottleUsernameVariants: the throttle once counted the username as
// typed while the lookup trimmed it, so " victim" and "victim\t" each had fresh
// guesses. Every variant that reaches the account now spends the same budget.
func TestSecurityLoginThrottleUsernameVariants(t *testing.T) {
	d := dbtest.New(t)
	newUser(t, d, "victim", db.RoleViewer)
	th := auth.Throttle{Window: 15 * time.Minute, PerAccount: 5, PerIP: 100}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	variants := []string{" victim", "victim\t", "VICTIM", "\nVictim ", "victim\u00a0"}
	for i, name := range variants {
		if _, err := auth.Login(ctx, d.Bun, th, name, "wrong guess", "192.0.2.1", now); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("guess %d as %q: err = %v, want ErrBadCredentials", i, name, err)
		}
	}
	for _, name := range append(variants, "victim") {
		var te *auth.ThrottledError
		if _, err := auth.Login(ctx, d.Bun, th, name, pw, "192.0.2.2", now.Add(time.Minute)); !errors.As(err, &te) {
			t.Fatalf("right password as %q after 5 failures: err = %v, want throttled", name, err)
		}
	}
	// Input no username can hold (NUL, invalid UTF-8, absurd length) is a failed
	// login like any other, not a database error.
	for _, name := range []string{"vic\x00tim", "victim\xff", strings.Repeat("v", 5000)} {
		if _, err := auth.Login(ctx, d.Bun, th, name, "x", "192.0.2.3", now); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("login as %.20q: err = %v, want ErrBadCredentials", name, err)
		}
	}
}

// TestSecurityLoginThrottleParallel: 30 wrong logins at once for one account once had
// 24 passwords checked against a limit of 5, because count, check and insert were
// not atomic. Now exactly the limit is checked and the rest throttled, per account
// and per address.
func TestSecurityLoginThrottleParallel(t *testing.T) {
	d := dbtest.New(t)
	newUser(t, d, "victim", db.RoleViewer)
	th := auth.Throttle{Window: 15 * time.Minute, PerAccount: 5, PerIP: 20}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	race := func(ip string, username func(i int) string) (checked, throttled int) {
		t.Helper()
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := auth.Login(ctx, d.Bun, th, username(i), "wrong guess", ip, now)
				mu.Lock()
				defer mu.Unlock()
				var te *auth.ThrottledError
				switch {
				case errors.Is(err, auth.ErrBadCredentials):
					checked++
				case errors.As(err, &te):
					throttled++
				default:
					errs = append(errs, err)
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("unexpected errors: %v", errs)
		}
		return checked, throttled
	}

	t.Run("one account", func(t *testing.T) {
		checked, throttled := race("198.51.100.1", func(i int) string { return []string{"victim", " Victim", "VICTIM\t"}[i%3] })
		if checked != th.PerAccount || throttled != 30-th.PerAccount {
			t.Fatalf("%d passwords checked, %d throttled; want %d and %d", checked, throttled, th.PerAccount, 30-th.PerAccount)
		}
		var rows int
		if err := d.Bun.NewRaw("SELECT count(*) FROM login_attempts WHERE lower(username) = 'victim'").Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		var audited int
		if err := d.Bun.NewRaw("SELECT count(*) FROM audit_log WHERE action = 'login.failure' AND details->>'reason' = 'bad credentials'").Scan(ctx, &audited); err != nil {
			t.Fatal(err)
		}
		if rows != th.PerAccount || audited != th.PerAccount {
			t.Fatalf("%d attempts recorded and %d audited as checked, want %d", rows, audited, th.PerAccount)
		}
		var te *auth.ThrottledError
		if _, err := auth.Login(ctx, d.Bun, th, "victim", pw, "203.0.113.9", now.Add(time.Minute)); !errors.As(err, &te) {
			t.Fatalf("right password after the race: err = %v, want throttled", err)
		}
	})

	t.Run("one address, many accounts", func(t *testing.T) {
		checked, throttled := race("198.51.100.2", func(i int) string { return "sprayed" + string(rune('a'+i)) })
		if checked != th.PerIP || throttled != 30-th.PerIP {
			t.Fatalf("%d passwords checked, %d throttled; want %d and %d", checked, throttled, th.PerIP, 30-th.PerIP)
		}
	})
}
