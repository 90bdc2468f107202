package ui

import (
	"context"
	"strings"
	"testing"
)

func TestOptionList(t *testing.T) {
	ctx := context.Background()
	l, err := NewOptionList(ctx, []Option{{"1", "Acme"}, {"12", `Globex & "Co"`}, {"2", "Initech"}})
	if err != nil {
		t.Fatal(err)
	}
	render := func(value string) string {
		var b strings.Builder
		if err := l.Selected(value).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	const none = `<option value="1">Acme</option><option value="12">Globex &amp; &#34;Co&#34;</option><option value="2">Initech</option>`
	for _, v := range []string{"", "3", "1\">", `"><script>`} {
		if got := render(v); got != none {
			t.Fatalf("value %q: %s", v, got)
		}
	}
	for v, want := range map[string]string{
		"1":  `<option value="1" selected>Acme</option><option value="12">Globex &amp; &#34;Co&#34;</option><option value="2">Initech</option>`,
		"12": `<option value="1">Acme</option><option value="12" selected>Globex &amp; &#34;Co&#34;</option><option value="2">Initech</option>`,
		"2":  `<option value="1">Acme</option><option value="12">Globex &amp; &#34;Co&#34;</option><option value="2" selected>Initech</option>`,
	} {
		if got := render(v); got != want {
			t.Fatalf("selected %s:\n got %s\nwant %s", v, got, want)
		}
	}
	var empty *OptionList
	var b strings.Builder
	if err := empty.Selected("1").Render(ctx, &b); err != nil || b.Len() != 0 {
		t.Fatalf("no list: %q %v", b.String(), err)
	}
}
