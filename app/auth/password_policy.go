package auth

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password length bounds.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// minDistinctRunes refuses passwords made of one short pattern ("aaaaaaaaaaaa",
// "abababababab", "123412341234"): a guesser tries those first, whatever the length.
const minDistinctRunes = 5

// CheckPasswordPolicy returns a user-facing message when pw is unacceptable as the
// password of username: too short or too long, made of a few characters repeated,
// containing the username, a run along the keyboard or the alphabet, or one of the
// most common passwords (or a small variation of one).
func CheckPasswordPolicy(pw, username string) error {
	lower := strings.ToLower(pw)
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPasswordLength:
		return fmt.Errorf("use at least %d characters", MinPasswordLength)
	case n > MaxPasswordLength:
		return fmt.Errorf("use at most %d characters", MaxPasswordLength)
	case strings.TrimSpace(pw) == "":
		return errors.New("the password cannot be only spaces")
	case containsUsername(lower, username):
		return errors.New("the password cannot contain the username")
	case distinctRunes(lower) < minDistinctRunes:
		return fmt.Errorf("use at least %d different characters: repeats like aaaa… or abab… are guessed first", minDistinctRunes)
	case keyboardRun(lower):
		return errors.New("a run along the keyboard or the alphabet (like 1234… or qwerty…) is guessed first")
	case commonPassword(lower):
		return errors.New("this is one of the most common passwords (perhaps with a few digits or symbols added): choose another")
	}
	return nil
}

// containsUsername reports whether the lower-cased password holds the username, as
// typed or with digits for letters (adm1n). Usernames under three characters would
// match too much by chance, and no password of the minimum length equals them.
func containsUsername(lowerPW, username string) bool {
	u := strings.ToLower(strings.TrimSpace(username))
	if utf8.RuneCountInString(u) < 3 {
		return false
	}
	return strings.Contains(lowerPW, u) || strings.Contains(unleet(lowerPW), u)
}

func distinctRunes(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// keyboardRuns are sequences a password may be cut from, forwards or backwards:
// digits and the alphabet (repeated, so a run may wrap: 7890123…), the QWERTY rows,
// and the column walks people type (1qaz2wsx…, 1q2w3e…).
var keyboardRuns = []string{
	"012345678901234567890123456789",
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
	"qwertyuiopasdfghjklzxcvbnm",
	"qwertyuiop[]asdfghjkl;'zxcvbnm,./",
	"azertyuiopqsdfghjklmwxcvbn",
	"qazwsxedcrfvtgbyhnujmikolp",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
	"1q2w3e4r5t6y7u8i9o0p",
}

// keyboardRun reports whether s, spaces removed, is a piece of one keyboard run.
func keyboardRun(s string) bool {
	s = strings.Join(strings.Fields(s), "")
	for _, run := range keyboardRuns {
		if strings.Contains(run, s) || strings.Contains(reverse(run), s) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

//go:embed common_passwords.txt
var commonPasswordsFile string

// commonPasswords is the embedded list as a set.
var commonPasswords = func() map[string]bool {
	set := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsFile, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			set[strings.ToLower(line)] = true
		}
	}
	return set
}()

// commonPassword reports whether the lower-cased password is a common password or
// one dressed up the usual ways: digits and symbols before or after it
// ("password123!"), spaces inside it, digits or symbols for letters ("p@ssw0rd"), or
// the whole repeated ("monkeymonkey").
func commonPassword(s string) bool {
	forms := []string{s, strings.Join(strings.Fields(s), "")}
	for _, f := range forms[:2] {
		core := strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
		forms = append(forms, core, unleet(f), unleet(core))
	}
	for _, f := range forms {
		if f == "" {
			continue
		}
		if commonPasswords[f] {
			return true
		}
		if unit := repeatedUnit(f); unit != "" && (commonPasswords[unit] ||
			commonPasswords[strings.TrimFunc(unit, func(r rune) bool { return !unicode.IsLetter(r) })]) {
			return true
		}
	}
	return false
}

// unleet undoes the usual digit and symbol swaps for letters.
func unleet(s string) string {
	return strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s", "!", "i").Replace(s)
}

// repeatedUnit returns the shortest u of which s is two or more copies, or "".
func repeatedUnit(s string) string {
	r := []rune(s)
	for n := 1; n <= len(r)/2; n++ {
		if len(r)%n == 0 && strings.Repeat(string(r[:n]), len(r)/n) == s {
			return string(r[:n])
		}
	}
	return ""
}
