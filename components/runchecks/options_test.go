package runchecks

import (
	"context"
	"testing"
)

func TestSelectOption(t *testing.T) {
	html, err := CustomerOptionsHTML(context.Background(), []Option{{"1", "Acme"}, {"12", `Globex & "Co"`}, {"2", "Initech"}})
	if err != nil {
		t.Fatal(err)
	}
	const want = `<option value="1">Acme</option><option value="12" selected>Globex &amp; &#34;Co&#34;</option><option value="2">Initech</option>`
	if got := selectOption(html, "12"); got != want {
		t.Fatalf("selected 12:\n got %s\nwant %s", got, want)
	}
	for _, v := range []string{"", "3", "1\">", `"><script>`} {
		if got := selectOption(html, v); got != html {
			t.Fatalf("value %q changed the list: %s", v, got)
		}
	}
}
