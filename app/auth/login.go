package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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
type ThrottledError struct {
	RetryAfter time.Duration
	Until      time.Time // when a login is allowed again
	// Account: the account's own failures hold it (an admin can unlock it); otherwise
	// only the address's failures do.
	Account bool
}

func (e *ThrottledError) Error() string {
	return "too many failed logins until " + e.Until.UTC().Format(time.RFC3339)
}

// Login checks username and password, throttled per account and IP, records the
// attempt and an audit entry, and on success returns the user.
func Login(ctx context.Context, idb bun.IDB, th Throttle, username, password, ip string, now time.Time) (*db.User, error) {
	return LoginWith(ctx, idb, th, username, password, ip, now, nil)
}

// LoginWith is Login with a rule that may still refuse a user whose password is right
// (password sign-in for admins only while sign-in with Entra is on). Its error is
// returned as it is, recorded as a failed login with that reason.
func LoginWith(ctx context.Context, idb bun.IDB, th Throttle, username, password, ip string, now time.Time, allow func(*db.User) error) (*db.User, error) {
	username = normaliseLoginName(username)
	attempt, lock, err := th.reserve(ctx, idb, username, ip, now)
	if err != nil {
		return nil, err
	}
	if lock.wait > 0 {
		if err := audit.Record(ctx, idb, audit.Actor{Name: username, IP: ip}, audit.LoginFailure, "user:"+username,
			map[string]any{"reason": "throttled"}); err != nil {
			return nil, err
		}
		return nil, &ThrottledError{RetryAfter: lock.wait, Until: now.Add(lock.wait), Account: lock.account}
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
	if allow != nil {
		if err := allow(user); err != nil {
			if aerr := audit.Record(ctx, idb, audit.Actor{Name: username, IP: ip}, audit.LoginFailure, "user:"+username,
				map[string]any{"reason": err.Error()}); aerr != nil {
				return nil, aerr
			}
			return nil, err
		}
	}
	if _, err := idb.ExecContext(ctx, "UPDATE login_attempts SET success = true WHERE id = ?", attempt); err != nil {
		return nil, fmt.Errorf("auth: record login success: %w", err)
	}
	if err := touchLogin(ctx, idb, user.ID, now); err != nil {
		return nil, fmt.Errorf("auth: login: %w", err)
	}
	if err := audit.Record(ctx, idb, audit.Actor{ID: user.ID, Name: user.Username, IP: ip}, audit.LoginSuccess, "user:"+user.Username, nil); err != nil {
		return nil, err
	}
	return user, nil
}

// maxLoginName is one rune longer than the longest username CreateUser accepts, so
// a longer input, cut to it, still matches no user.
const maxLoginName = 101

// normaliseLoginName is the one form of a typed username that both the user lookup
// and the throttle key on: surrounding whitespace trimmed (as CreateUser stores it),
// made valid UTF-8 without NUL (Postgres text cannot hold either) and cut to a length
// no username has. Case is folded by lower() in SQL, in the lookup, the throttle
// counts and the throttle lock alike, so "Victim", " victim" and "victim\t" share one
// budget and all reach the same account.
func normaliseLoginName(s string) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if utf8.RuneCountInString(s) > maxLoginName {
		s = string([]rune(s)[:maxLoginName])
	}
	return s
}

// reserve decides whether a login for username from ip may be checked and, if so,
// records it as a failed attempt before the password is verified (Login turns it into
// a success afterwards). Counting and recording happen under transaction-scoped
// advisory locks on the account and on the address, so parallel attempts queue here
// and each sees the ones before it: no more than PerAccount / PerIP passwords are
// ever checked in a window, however many requests race. The password check itself
// (argon2, the slow part) runs after the locks are released. An attempt that never
// finishes (crash, error) stays a failure, erring on the side of the limit.
// Returns the attempt's id, or how long to wait when the limit is reached.
func (th Throttle) reserve(ctx context.Context, idb bun.IDB, username, ip string, now time.Time) (int64, lockout, error) {
	var (
		id   int64
		wait lockout
	)
	err := idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Always the account first, then the address: one order, no deadlock.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('login-account'), hashtext(lower(?)))", username); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('login-ip'), hashtext(?))", ip); err != nil {
			return err
		}
		var err error
		if wait, err = th.retryAfter(ctx, tx, username, ip, now); err != nil || wait.wait > 0 {
			return err
		}
		return tx.NewRaw("INSERT INTO login_attempts (at, username, ip, success) VALUES (?, ?, ?, false) RETURNING id",
			now, username, ip).Scan(ctx, &id)
	})
	if err != nil {
		return 0, lockout{}, fmt.Errorf("auth: login throttle: %w", err)
	}
	return id, wait, nil
}

// lockout is how long a login must wait and whether the account's own failures are
// (one of) the reason.
type lockout struct {
	wait    time.Duration
	account bool
}

// retryAfter returns how long until a login for username from ip is allowed again,
// or 0 when it is allowed now.
func (th Throttle) retryAfter(ctx context.Context, idb bun.IDB, username, ip string, now time.Time) (lockout, error) {
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
		return lockout{}, fmt.Errorf("count failures: %w", err)
	}
	var l lockout
	if r.AccountFailures >= th.PerAccount && r.AccountOldest != nil {
		l.wait, l.account = max(l.wait, r.AccountOldest.Add(th.Window).Sub(now)), true
	}
	if r.IPFailures >= th.PerIP && r.IPOldest != nil {
		l.wait = max(l.wait, r.IPOldest.Add(th.Window).Sub(now))
	}
	return l, nil
}

// LockedUsers returns, for each user whose account is locked by its own failed logins
// at now, when the lock ends: the same rule as Login (the PerAccount-th most recent
// failure in the window leaves it then). One index lookup per user.
func (th Throttle) LockedUsers(ctx context.Context, idb bun.IDB, now time.Time) (map[int64]time.Time, error) {
	var rows []struct {
		ID    int64     `bun:"id"`
		Until time.Time `bun:"until"`
	}
	err := idb.NewRaw(`
		SELECT u.id, f.at + ?::interval AS until
		FROM users u
		CROSS JOIN LATERAL (
			SELECT a.at FROM login_attempts a
			WHERE lower(a.username) = lower(u.username) AND NOT a.success AND a.at > ?
			ORDER BY a.at DESC OFFSET ? - 1 LIMIT 1) f`,
		fmt.Sprintf("%d microseconds", th.Window.Microseconds()), now.Add(-th.Window), th.PerAccount).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("auth: locked users: %w", err)
	}
	out := make(map[int64]time.Time, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Until
	}
	return out, nil
}

// Unlock lets a locked-out user sign in at once: it clears the failed logins
// recorded for their account (the audit log keeps them) and records who unlocked it.
// Returns how many failed attempts were cleared.
func Unlock(ctx context.Context, bdb *bun.DB, actor audit.Actor, userID int64) (int, error) {
	n := 0
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u, err := lockUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		// The same lock Login takes on the account, so no attempt is counted half-way.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('login-account'), hashtext(lower(?)))", u.Username); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM login_attempts WHERE lower(username) = lower(?) AND NOT success", u.Username)
		if err != nil {
			return err
		}
		cleared, _ := res.RowsAffected()
		n = int(cleared)
		return audit.Record(ctx, tx, actor, audit.UserUnlocked, "user:"+u.Username, map[string]any{"failed_logins_cleared": n})
	})
	if err != nil {
		return 0, fmt.Errorf("auth: unlock user %d: %w", userID, err)
	}
	return n, nil
}
