package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// SessionPolicy bounds how long a login lasts.
type SessionPolicy struct {
	MaxAge      time.Duration // from login
	IdleTimeout time.Duration // since the last request
}

// touchEvery limits how often a session's last_seen_at is written (not every request).
const touchEvery = time.Minute

// ErrNoSession means the token names no live session of an active user.
var ErrNoSession = errors.New("auth: no session")

// CurrentSession is a live session with its user.
type CurrentSession struct {
	TokenHash []byte
	User      *db.User
	ExpiresAt time.Time
}

// HashToken returns the stored form of a session token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateSession starts a session for user and returns the token for the cookie.
func CreateSession(ctx context.Context, idb bun.IDB, p SessionPolicy, userID int64, ip, userAgent string, now time.Time) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("auth: session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if len(userAgent) > 500 {
		userAgent = userAgent[:500]
	}
	s := &db.Session{TokenHash: HashToken(token), UserID: userID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(p.MaxAge), IP: ip, UserAgent: userAgent}
	if _, err := idb.NewInsert().Model(s).Exec(ctx); err != nil {
		return "", fmt.Errorf("auth: create session: %w", err)
	}
	return token, nil
}

// LookupSession returns the live session for token, refreshing its last-seen time at
// most once a minute. Expired, idle and deactivated-user sessions are not found.
func LookupSession(ctx context.Context, idb bun.IDB, p SessionPolicy, token string, now time.Time) (*CurrentSession, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	hash := HashToken(token)
	sess := new(db.Session)
	err := idb.NewSelect().Model(sess).Relation("User").
		Where("session.token_hash = ?", hash).
		Where("session.expires_at > ?", now).
		Where("session.last_seen_at > ?", now.Add(-p.IdleTimeout)).
		Where(`"user"."is_active"`).
		Scan(ctx)
	if err != nil {
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return nil, ErrNoSession
		}
		return nil, fmt.Errorf("auth: lookup session: %w", err)
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		if _, err := idb.NewUpdate().Model((*db.Session)(nil)).Set("last_seen_at = ?", now).
			Where("token_hash = ?", hash).Exec(ctx); err != nil {
			return nil, fmt.Errorf("auth: touch session: %w", err)
		}
	}
	return &CurrentSession{TokenHash: hash, User: sess.User, ExpiresAt: sess.ExpiresAt}, nil
}

// DeleteSession ends the session for token (logout).
func DeleteSession(ctx context.Context, idb bun.IDB, token string) error {
	if _, err := idb.NewDelete().Model((*db.Session)(nil)).Where("token_hash = ?", HashToken(token)).Exec(ctx); err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}

// DeleteExpired removes sessions that can no longer be used and login attempts older
// than a day. Returns the number of sessions removed.
func DeleteExpired(ctx context.Context, idb bun.IDB, p SessionPolicy, now time.Time) (int64, error) {
	res, err := idb.NewDelete().Model((*db.Session)(nil)).
		Where("expires_at <= ? OR last_seen_at <= ?", now, now.Add(-p.IdleTimeout)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("auth: delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := idb.NewDelete().TableExpr("login_attempts").Where("at < ?", now.Add(-24*time.Hour)).Exec(ctx); err != nil {
		return n, fmt.Errorf("auth: delete old login attempts: %w", err)
	}
	return n, nil
}
