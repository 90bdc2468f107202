package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestStatusClassOneColourEach(t *testing.T) {
	byClass := map[string]string{}
	for _, s := range Statuses {
		c := StatusClass(s)
		if other, ok := byClass[c]; ok {
			t.Errorf("%s and %s share the colour %q", s, other, c)
		}
		byClass[c] = s
		if rc, label := RunBadge(s, true); rc != c || label != s+" (override)" {
			t.Errorf("RunBadge(%s, overridden) = %q %q", s, rc, label)
		}
	}
	if _, ok := byClass[StatusClass("Bogus")]; ok {
		t.Error("an unknown status takes a status's colour")
	}
}

// hardCodedStatus finds a badge that spells a status's colour in the template instead
// of asking StatusClass: a literal colour class on an element whose text is a status.
var hardCodedStatus = regexp.MustCompile(`class="[^"]*\b(?:text-bg|bg|text|border)-(?:success|warning|danger|dark|info|primary|light)\b[^"]*"[^>]*>\s*(?:Success|Warning|Failed|Missed|Info|Expected)\b`)

// TestNoTemplateHardCodesAStatusColour greps every template for a status badge
// coloured by hand.
func TestNoTemplateHardCodesAStatusColour(t *testing.T) {
	n := 0
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".templ") {
			return err
		}
		n++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range hardCodedStatus.FindAllString(string(b), -1) {
			t.Errorf("%s hard-codes a status colour (use ui.StatusClass): %s", path, m)
		}
		return nil
	})
	if err != nil || n < 10 {
		t.Fatalf("walked %d templates: %v", n, err)
	}
}
