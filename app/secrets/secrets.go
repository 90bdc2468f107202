// Package secrets derives purpose-bound keys from APP_SECRET_KEY and encrypts the
// secrets kept in system_settings (AES-256-GCM).
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// Purposes of derived keys; each use gets its own key so one never leaks another.
const (
	PurposeCSRF     = "csrf"
	PurposeCaptcha  = "captcha"
	PurposeSettings = "settings-encryption"
)

// Keyring derives keys from the application secret.
type Keyring struct{ master []byte }

// NewKeyring returns a keyring for the application secret.
func NewKeyring(appSecret string) *Keyring { return &Keyring{master: []byte(appSecret)} }

// Key returns the 32-byte key for purpose.
func (k *Keyring) Key(purpose string) []byte {
	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, k.master, []byte("backupchecks"), []byte(purpose)), key); err != nil {
		panic(err) // hkdf only fails past 255 blocks of output
	}
	return key
}

// MAC returns HMAC-SHA256 of msg under the key for purpose.
func (k *Keyring) MAC(purpose string, msg []byte) []byte {
	m := hmac.New(sha256.New, k.Key(purpose))
	m.Write(msg)
	return m.Sum(nil)
}

// ErrDecrypt means a ciphertext was not made with this APP_SECRET_KEY (or was altered).
var ErrDecrypt = errors.New("secrets: cannot decrypt: APP_SECRET_KEY changed or data corrupted")

// Encrypt seals plaintext; the result is nonce || ciphertext.
func (k *Keyring) Encrypt(plaintext []byte) ([]byte, error) {
	aead, err := k.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secrets: nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plaintext, nil), nil
}

// Decrypt opens what Encrypt sealed.
func (k *Keyring) Decrypt(sealed []byte) ([]byte, error) {
	aead, err := k.aead()
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, ErrDecrypt
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

func (k *Keyring) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.Key(PurposeSettings))
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return cipher.NewGCM(block)
}
