package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/backupchecks/backupchecks/app/secrets"
)

// Captcha is a small sum shown on the login page when login_captcha_enabled is set.
// It is stateless: the token carries an expiry and a MAC over the answer, so any
// replica can check it.
type Captcha struct {
	Question string
	Token    string
}

const captchaLifetime = 10 * time.Minute

// NewCaptcha returns a fresh question and its token.
func NewCaptcha(k *secrets.Keyring, now time.Time) Captcha {
	a, b := randInt(2, 9), randInt(1, 9)
	exp := strconv.FormatInt(now.Add(captchaLifetime).Unix(), 10)
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	n := base64.RawURLEncoding.EncodeToString(nonce)
	mac := captchaMAC(k, exp, n, strconv.Itoa(a+b))
	return Captcha{Question: fmt.Sprintf("What is %d + %d?", a, b), Token: exp + "." + n + "." + mac}
}

// CheckCaptcha reports whether answer solves the captcha behind token and the token
// has not expired.
func CheckCaptcha(k *secrets.Keyring, token, answer string, now time.Time) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	exp, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || now.Unix() > exp {
		return false
	}
	answer = strings.TrimSpace(answer)
	if _, err := strconv.Atoi(answer); err != nil {
		return false
	}
	return hmac.Equal([]byte(parts[2]), []byte(captchaMAC(k, parts[0], parts[1], answer)))
}

func captchaMAC(k *secrets.Keyring, exp, nonce, answer string) string {
	return base64.RawURLEncoding.EncodeToString(k.MAC(secrets.PurposeCaptcha, []byte(exp+"|"+nonce+"|"+answer)))
}

func randInt(lo, hi int64) int {
	n, err := rand.Int(rand.Reader, big.NewInt(hi-lo+1))
	if err != nil {
		return int(lo)
	}
	return int(lo + n.Int64())
}
