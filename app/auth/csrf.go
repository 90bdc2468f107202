package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"

	"github.com/backupchecks/backupchecks/app/secrets"
)

// CSRF tokens follow the signed double-submit pattern: the browser holds a random
// HttpOnly cookie, pages carry HMAC(key, cookie), and a state-changing request must
// send the HMAC back (header or form field). A cross-site page can neither read the
// cookie nor compute the HMAC, and no server-side storage is needed across replicas.

// NewCSRFSeed returns a value for the CSRF cookie.
func NewCSRFSeed() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CSRFToken derives the token pages embed from the cookie's seed.
func CSRFToken(k *secrets.Keyring, seed string) string {
	return base64.RawURLEncoding.EncodeToString(k.MAC(secrets.PurposeCSRF, []byte(seed)))
}

// CheckCSRF reports whether token matches seed.
func CheckCSRF(k *secrets.Keyring, seed, token string) bool {
	if seed == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(token), []byte(CSRFToken(k, seed)))
}
