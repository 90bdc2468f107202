package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/db"
)

// Throttle limits failed logins within Window: per account (stops guessing one
// password) and per IP (stops spraying many accounts).
type Throttle struct {
	Window     time.Duration
	PerAccount int
	PerIP      int
}

// DefaultThrottle allows 5 failures per account and 20 per IP in 15 minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, PerAccount: 5, PerIP: 20}

// ErrBadCredentials is the one answer for an unknown user, a wrong password and a
// deactivated account, so a visitor learns nothing about which it was.
var ErrBadCredentials = errors.New("unknown username or wrong password")

// ThrottledError says a login was refused without checking the password.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	mins := int(e.RetryAfter.Round(time.Minute) / time.Minute)
	if mins < 1 {
		mins = 1
	}
	return fmt.Sprintf("too many failed logins: try again in %d minute(s)", mins)
}

// Login checks username and password, throttled per account and IP, records the
// attempt and an audit entry, and on success returns the user.
func Login(ctx context.Context, idb bun.IDB, th Throttle, username, password, ip string, now time.Time) (*db.User, error) {
	if retry, err := th.retryAfter(ctx, idb, username, ip, now); err != nil {
		return nil, err
	} else if retry > 0 {
		_ = audit.Record(ctx, idb, audit.Actor{Name: username, IP: ip}, audit.LoginFailure, "user:"+username,
			map[string]any{"reason": "throttled"})
		return nil, &ThrottledError{RetryAfter: retry}
	}

	user, err := GetUserByUsername(ctx, idb, username)
	ok := false
	switch {
	case errors.Is(err, db.ErrNotFound):
		VerifyPassword(dummyHash, password) // same time as a real check
	case err != nil:
		return nil, err
	default:
		ok = VerifyPassword(user.PasswordHash, password) && user.IsActive
	}

	if _, err := idb.ExecContext(ctx, "INSERT INTO login_attempts (at, username, ip, success) VALUES (?, ?, ?, ?)",
		now, username, ip, ok); err != nil {
		return nil, fmt.Errorf("auth: record login attempt: %w", err)
	}
	if !ok {
		reason := "bad credentials"
		if user != nil && !user.IsActive && VerifyPassword(user.PasswordHash, password) {
			reason = "account deactivated"
		}
		if err := audit.Record(ctx, idb, audit.Actor{Name: username, IP: ip}, audit.LoginFailure, "user:"+username,
			map[string]any{"reason": reason}); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	if err := touchLogin(ctx, idb, user.ID, now); err != nil {
		return nil, fmt.Errorf("auth: login: %w", err)
	}
	if err := audit.Record(ctx, idb, audit.Actor{ID: user.ID, Name: user.Username, IP: ip}, audit.LoginSuccess, "user:"+user.Username, nil); err != nil {
		return nil, err
	}
	return user, nil
}

// retryAfter returns how long until a login for username from ip is allowed again,
// or 0 when it is allowed now.
func (th Throttle) retryAfter(ctx context.Context, idb bun.IDB, username, ip string, now time.Time) (time.Duration, error) {
	var r struct {
		AccountFailures int        `bun:"account_failures"`
		AccountOldest   *time.Time `bun:"account_oldest"`
		IPFailures      int        `bun:"ip_failures"`
		IPOldest        *time.Time `bun:"ip_oldest"`
	}
	since := now.Add(-th.Window)
	// The n-th most recent failure decides when the window frees up again.
	err := idb.NewRaw(`
		SELECT
		  (SELECT count(*) FROM login_attempts WHERE lower(username) = lower(?0) AND NOT success AND at > ?2) AS account_failures,
		  (SELECT at FROM login_attempts WHERE lower(username) = lower(?0) AND NOT success AND at > ?2
		     ORDER BY at DESC OFFSET ?3 - 1 LIMIT 1) AS account_oldest,
		  (SELECT count(*) FROM login_attempts WHERE ip = ?1 AND NOT success AND at > ?2) AS ip_failures,
		  (SELECT at FROM login_attempts WHERE ip = ?1 AND NOT success AND at > ?2
		     ORDER BY at DESC OFFSET ?4 - 1 LIMIT 1) AS ip_oldest`,
		username, ip, since, th.PerAccount, th.PerIP).Scan(ctx, &r)
	if err != nil {
		return 0, fmt.Errorf("auth: login throttle: %w", err)
	}
	var wait time.Duration
	if r.AccountFailures >= th.PerAccount && r.AccountOldest != nil {
		wait = max(wait, r.AccountOldest.Add(th.Window).Sub(now))
	}
	if r.IPFailures >= th.PerIP && r.IPOldest != nil {
		wait = max(wait, r.IPOldest.Add(th.Window).Sub(now))
	}
	return wait, nil
}
