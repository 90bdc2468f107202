package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestLockedUsersAndUnlock: an account locked by its own failed logins is reported
// with the end of its lock, as Login enforces it; Unlock lets the user in at once
// and is audited; a lock by the address alone is not the account's.
func TestLockedUsersAndUnlock(t *testing.T) {
	d := dbtest.New(t)
	admin := newUser(t, d, "admin", db.RoleAdmin)
	victim := newUser(t, d, "victim", db.RoleViewer)
	newUser(t, d, "bystander", db.RoleViewer)
	th := auth.Throttle{Window: 15 * time.Minute, PerAccount: 3, PerIP: 5}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	for i := range 3 {
		if _, err := auth.Login(ctx, d.Bun, th, "Victim", "wrong", "192.0.2.1", now.Add(time.Duration(i)*time.Minute)); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	at := now.Add(4 * time.Minute)
	var te *auth.ThrottledError
	if _, err := auth.Login(ctx, d.Bun, th, "victim", pw, "192.0.2.2", at); !errors.As(err, &te) || !te.Account {
		t.Fatalf("right password while locked: %v, want an account lock", err)
	}
	wantUntil := now.Add(15 * time.Minute) // the first failure leaves the window then
	if !te.Until.Equal(wantUntil) {
		t.Errorf("login refused until %v, want %v", te.Until, wantUntil)
	}
	locked, err := th.LockedUsers(ctx, d.Bun, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(locked) != 1 || !locked[victim.ID].Equal(wantUntil) {
		t.Fatalf("locked users %v, want only victim until %v", locked, wantUntil)
	}
	if locked, _ := th.LockedUsers(ctx, d.Bun, wantUntil.Add(time.Second)); len(locked) != 0 {
		t.Fatalf("still locked after the window: %v", locked)
	}

	n, err := auth.Unlock(ctx, d.Bun, audit.Actor{ID: admin.ID, Name: "admin"}, victim.ID)
	if err != nil || n != 3 {
		t.Fatalf("unlock cleared %d: %v", n, err)
	}
	if locked, _ := th.LockedUsers(ctx, d.Bun, at); len(locked) != 0 {
		t.Fatalf("locked after unlock: %v", locked)
	}
	if _, err := auth.Login(ctx, d.Bun, th, "victim", pw, "192.0.2.2", at); err != nil {
		t.Fatalf("login right after unlock: %v", err)
	}
	var audited int
	if err := d.Bun.NewRaw("SELECT count(*) FROM audit_log WHERE action = ? AND target = 'user:victim' AND actor_name = 'admin'",
		audit.UserUnlocked).Scan(ctx, &audited); err != nil || audited != 1 {
		t.Fatalf("unlock audited %d times: %v", audited, err)
	}
	if _, err := auth.Unlock(ctx, d.Bun, audit.Actor{}, 9999); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("unlock of an unknown user: %v", err)
	}

	// Failures spread over many accounts from one address lock the address, not the
	// bystander's account: no "locked" on Users, and the message says no admin can help.
	for i := range 5 {
		_, _ = auth.Login(ctx, d.Bun, th, "nobody"+string(rune('a'+i)), "x", "198.51.100.7", at)
	}
	if _, err := auth.Login(ctx, d.Bun, th, "bystander", pw, "198.51.100.7", at); !errors.As(err, &te) || te.Account {
		t.Fatalf("login from a locked address: %v (account %v)", err, te != nil && te.Account)
	}
	if locked, _ := th.LockedUsers(ctx, d.Bun, at); len(locked) != 0 {
		t.Fatalf("an address lock shows as an account lock: %v", locked)
	}
}

func TestPreviousLogin(t *testing.T) {
	d := dbtest.New(t)
	u := newUser(t, d, "ops", db.RoleOperator)
	th := auth.Throttle{Window: 15 * time.Minute, PerAccount: 3, PerIP: 5}
	if prev, err := auth.PreviousLogin(ctx, d.Bun, u.ID); err != nil || prev != nil {
		t.Fatalf("before any login: %v %v", prev, err)
	}
	for range 2 {
		if _, err := auth.Login(ctx, d.Bun, th, "ops", pw, "192.0.2.1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	prev, err := auth.PreviousLogin(ctx, d.Bun, u.ID)
	if err != nil || prev == nil {
		t.Fatalf("after two logins: %v %v", prev, err)
	}
}
