package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestSecurityPasswordPolicy replays the weak passwords issue 11 found accepted, and
// their usual variations, and checks that reasonable passwords still pass.
func TestSecurityPasswordPolicy(t *testing.T) {
	const username = "Victoria.Admin"
	for _, tc := range []struct {
		pw   string
		want string // part of the message; "" means accepted
	}{
		{"aaaaaaaaaaaa", "different characters"},
		{"AAAAaaaaAAAA", "different characters"},
		{"abababababab", "different characters"},
		{"123412341234", "different characters"},
		{"Victoria.Admin", "username"},
		{"victoria.admin", "username"},
		{"VICTORIA.ADMIN", "username"},
		{"my Victoria.Admin pw", "username"},
		{"v1ctoria.adm1n!!", "username"},
		{"123456789012", "keyboard"},
		{"9876543210987", "keyboard"},
		{"qwertyuiopasdf", "keyboard"},
		{"1qaz2wsx3edc", "keyboard"},
		{"1q2w3e4r5t6y", "keyboard"},
		{"abcdefghijklm", "keyboard"},
		{"password1234", "common"},
		{"Password123!", "common"},
		{"P@ssw0rd2024!", "common"},
		{"!!sunshine2024", "common"},
		{"iloveyou12345", "common"},
		{"monkeymonkey", "common"},
		{"passwordpassword1", "common"},
		{"qwerty123456", "common"},
		{"Welkom@2026!!", "common"},
		{"Backupchecks1!", "common"},
		{"short", "at least 12"},
		{"            ", "only spaces"},
		{strings.Repeat("x", auth.MaxPasswordLength+1), "at most"},
		{"correct horse battery", ""},
		{"Xk9#mQ2$vL7!w", ""},
		{"tulips in the rain 42", ""},
		{"admin password for the msp office", ""}, // common words inside a longer phrase are fine
	} {
		t.Run(tc.pw, func(t *testing.T) {
			err := auth.CheckPasswordPolicy(tc.pw, username)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want a message about %q", err, tc.want)
			}
		})
	}
}

// TestSecurityPasswordPolicyEverywhere: creating a user, an admin reset and a change of
// one's own password all apply the policy with the user's name, the reason on the
// password field.
func TestSecurityPasswordPolicyEverywhere(t *testing.T) {
	d := dbtest.New(t)
	newUser(t, d, "root", db.RoleAdmin)
	_, err := auth.CreateUser(ctx, d.Bun, audit.Actor{}, auth.NewUser{Username: "olivia.operator", Roles: []string{db.RoleOperator}, Password: "Olivia.Operator"})
	if errs, ok := validation.As(err); !ok || !strings.Contains(errs["password"], "username") {
		t.Fatalf("create with the username as password: err = %v", err)
	}
	u := newUser(t, d, "olivia.operator", db.RoleOperator)
	err = auth.ResetPassword(ctx, d.Bun, audit.Actor{}, u.ID, "olivia.operator!")
	if errs, ok := validation.As(err); !ok || !strings.Contains(errs["password"], "username") {
		t.Fatalf("reset to the username: err = %v", err)
	}
	err = auth.ChangeOwnPassword(ctx, d.Bun, audit.Actor{ID: u.ID, Name: u.Username}, pw, "aaaaaaaaaaaa", "aaaaaaaaaaaa", nil)
	if errs, ok := validation.As(err); !ok || !strings.Contains(errs["new_password"], "different characters") {
		t.Fatalf("change to aaaaaaaaaaaa: err = %v", err)
	}
	if _, err := auth.Login(ctx, d.Bun, auth.DefaultThrottle, "olivia.operator", pw, "192.0.2.1", time.Now()); err != nil {
		t.Fatalf("the old password stopped working after refused changes: %v", err)
	}
}
