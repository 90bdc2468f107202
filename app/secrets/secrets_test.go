package secrets

import (
	"bytes"
	"errors"
	"testing"
)

func TestEncryptRoundTrip(t *testing.T) {
	k := NewKeyring("0123456789abcdef0123456789abcdef")
	sealed, err := k.Encrypt([]byte("autotask-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("autotask-secret")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	got, err := k.Decrypt(sealed)
	if err != nil || string(got) != "autotask-secret" {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
	other := NewKeyring("another-secret-another-secret-xx")
	if _, err := other.Decrypt(sealed); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("decrypt with another key: err = %v, want ErrDecrypt", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k.Decrypt(sealed); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("decrypt tampered: err = %v, want ErrDecrypt", err)
	}
}

func TestKeysDifferByPurpose(t *testing.T) {
	k := NewKeyring("0123456789abcdef0123456789abcdef")
	if bytes.Equal(k.Key(PurposeCSRF), k.Key(PurposeCaptcha)) {
		t.Fatal("keys for different purposes are equal")
	}
	if !bytes.Equal(k.Key(PurposeCSRF), NewKeyring("0123456789abcdef0123456789abcdef").Key(PurposeCSRF)) {
		t.Fatal("key derivation is not deterministic")
	}
}
