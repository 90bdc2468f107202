package mail

import (
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func cidPath(id string) string { return "/inbox/7/cid/" + url.PathEscape(id) }

func sanitizedDoc(t *testing.T, in string, cidURL func(string) string) (string, *goquery.Document) {
	t.Helper()
	out := SanitizeHTML(in, cidURL)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return out, doc
}

func TestSanitizeHTMLRemovesWhatRunsOrLoads(t *testing.T) {
	in := `<html><head><title>t</title><meta http-equiv="refresh" content="0;url=https://evil.example.com">
<link rel="stylesheet" href="https://evil.example.com/a.css"><base href="https://evil.example.com/"></head>
<body onload="steal()"><script>alert(1)</script><noscript>ns</noscript>
<p onclick="x()" onmouseover="y()">para</p>
<a href="javascript:alert(1)">js link</a> <a href="vbscript:x">vb</a> <a href="data:text/html,<script>1</script>">data link</a>
<a href="https://kb.example.com/kb1234">KB1234</a> <a href="mailto:support@example.com">mail us</a>
<form action="https://evil.example.com/post"><input name="a" value="b"><textarea>t</textarea><select><option>o</option></select><button>go</button></form>
<iframe src="https://evil.example.com/"></iframe><object data="x.swf"></object><embed src="x.swf"><applet code="x"></applet>
<svg onload="x()"><script>1</script></svg><video src="https://evil.example.com/v.mp4"></video><audio src="a.mp3"></audio>
<img src="https://tracker.example.com/pixel.gif" alt="pixel"><img src="//tracker.example.com/p.gif"><img src="/relative.gif">
<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" alt="svg"><img src="data:text/html;base64,PHNjcmlwdD4=">
<img src="data:image/png;base64,iVBORw0KGgo=" alt="png">
<div style="background: url(https://tracker.example.com/bg.png); background-image: url(x.png); behavior: url(x.htc); width: expression(alert(1)); color: #c00">styled</div>
<table background="https://tracker.example.com/t.png"><tr><td background="x.png">cell</td></tr></table>
</body></html>`
	out, doc := sanitizedDoc(t, in, cidPath)

	for _, sel := range []string{"script", "noscript", "meta", "link", "base", "title", "form", "input", "textarea",
		"select", "button", "iframe", "object", "embed", "applet", "svg", "video", "audio", "[onclick]", "[onload]",
		"[onmouseover]", "[background]"} {
		if n := doc.Find(sel).Length(); n > 0 {
			t.Errorf("%d %s left", n, sel)
		}
	}
	for _, s := range []string{"javascript:", "vbscript:", "tracker.example.com", "evil.example.com", "expression", "url(", "alert"} {
		if strings.Contains(out, s) {
			t.Errorf("output contains %q:\n%s", s, out)
		}
	}
	doc.Find("img[src]").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); src != "data:image/png;base64,iVBORw0KGgo=" {
			t.Errorf("img src %q left", src)
		}
	})
	if doc.Find("img[src]").Length() != 1 {
		t.Errorf("want the PNG data image kept:\n%s", out)
	}

	// Links to the web and mail stay, opening elsewhere without a referrer; others become text.
	kb := doc.Find(`a[href="https://kb.example.com/kb1234"]`)
	if rel, _ := kb.Attr("rel"); !strings.Contains(rel, "noreferrer") || !strings.Contains(rel, "nofollow") {
		t.Errorf("KB link rel = %q", rel)
	}
	if target, _ := kb.Attr("target"); target != "_blank" {
		t.Errorf("KB link target = %q", target)
	}
	if doc.Find(`a[href="mailto:support@example.com"]`).Length() != 1 {
		t.Error("mailto link dropped")
	}
	if doc.Find("a").Length() != 2 {
		t.Errorf("want only the two safe links:\n%s", out)
	}
	for _, text := range []string{"para", "js link", "styled", "cell", "KB1234"} {
		if !strings.Contains(doc.Text(), text) {
			t.Errorf("text %q lost", text)
		}
	}
	if style, _ := doc.Find("div").Attr("style"); style != "color: #c00" {
		t.Errorf("div style = %q, want only the colour", style)
	}
}

func TestSanitizeHTMLKeepsReportLayout(t *testing.T) {
	d, err := Decode(fixtures(t)["qp-html-alternative.eml"])
	if err != nil {
		t.Fatal(err)
	}
	_, doc := sanitizedDoc(t, d.HTML, cidPath)
	head := doc.Find("td").First()
	style, _ := head.Attr("style")
	for _, s := range []string{"width: 80%", "background-color: #00B050", "color: White", "font-weight: bold", "font-family: Tahoma", "border: none"} {
		if !strings.Contains(style, s) {
			t.Errorf("header cell style %q lacks %q", style, s)
		}
	}
	table := doc.Find("table").First()
	for attr, want := range map[string]string{"cellspacing": "0", "cellpadding": "0", "width": "100%", "border": "0"} {
		if got, _ := table.Attr(attr); got != want {
			t.Errorf("table %s = %q, want %q", attr, got, want)
		}
	}
	if style, _ := doc.Find("td[nowrap]").First().Attr("style"); !strings.Contains(style, "border: 1px solid #a7a9ac") {
		t.Errorf("cell style = %q, want its border", style)
	}

	in := `<table bgcolor="#F3F4F4" align="center"><tr valign="top"><td bgcolor="red" width="85" colspan="2" align="right"><font color="#ff0000" face="Tahoma, Arial" size="2">x</font></td></tr></table>`
	_, doc = sanitizedDoc(t, in, nil)
	for sel, attrs := range map[string]map[string]string{
		"table": {"bgcolor": "#F3F4F4", "align": "center"},
		"tr":    {"valign": "top"},
		"td":    {"bgcolor": "red", "width": "85", "colspan": "2", "align": "right"},
		"font":  {"color": "#ff0000", "face": "Tahoma, Arial", "size": "2"},
	} {
		for attr, want := range attrs {
			if got, _ := doc.Find(sel).Attr(attr); got != want {
				t.Errorf("%s %s = %q, want %q", sel, attr, got, want)
			}
		}
	}
}

func TestSanitizeHTMLImages(t *testing.T) {
	d, err := Decode(fixtures(t)["related-cid.eml"])
	if err != nil {
		t.Fatal(err)
	}
	_, doc := sanitizedDoc(t, d.HTML, cidPath)
	if src, _ := doc.Find(`img[alt="Logo"]`).Attr("src"); src != "/inbox/7/cid/logo.png@01DC3700.A1B2C3D0" {
		t.Errorf("cid image src = %q", src)
	}
	if doc.Find("img[src]").Length() != 1 {
		t.Error("the tracking pixel kept its src")
	}

	// An escaped cid: URL names the Content-ID unescaped (RFC 2392).
	var got string
	SanitizeHTML(`<img src="cid:part1%2E06090408%40example.com">`, func(id string) string { got = id; return "/x" })
	if got != "part1.06090408@example.com" {
		t.Errorf("cidURL got %q", got)
	}

	// Without a cidURL, cid images go.
	_, doc = sanitizedDoc(t, d.HTML, nil)
	if doc.Find("img[src]").Length() != 0 {
		t.Error("cid image kept without a cidURL")
	}
}

func TestSanitizeHTMLStyleBlocks(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		keep     []string
		drop     []string
	}{
		{
			name: "plain CSS is kept",
			in:   `<style>.ok { color: #00B050; } td { padding: 2px }</style><p class="ok">x</p>`,
			keep: []string{".ok { color: #00B050; }", `<p class="ok">`},
		},
		{
			name: "@import is removed, the rest kept",
			in:   `<style>@import url("https://fonts.example.com/css"); p { color: red }</style><p>x</p>`,
			keep: []string{"p { color: red }"},
			drop: []string{"@import", "fonts.example.com"},
		},
		{
			name: "a block that loads something is dropped",
			in:   `<style>p { color: red } td { background: url(https://tracker.example.com/x.png) }</style><p>x</p>`,
			drop: []string{"<style>", "tracker", "color: red"},
		},
		{
			name: "escapes that could spell url( are refused",
			in:   `<style>td { background: u\72l(https://tracker.example.com/x.png) }</style>`,
			drop: []string{"<style>", "tracker"},
		},
		{
			name: "a comment cannot hide url(",
			in:   `<style>td { background: ur/**/l(x) } p{color:red}</style>`,
			drop: []string{"<style>", "url(", "ur/**/l("},
		},
		{
			name: "the style element cannot be closed early",
			in:   `<style>p{color:red}</style><script>alert(1)</script><style>a{}</</style>`,
			keep: []string{"p{color:red}"},
			drop: []string{"<script", "alert"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := SanitizeHTML(tc.in, nil)
			for _, s := range tc.keep {
				if !strings.Contains(out, s) {
					t.Errorf("lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.drop {
				if strings.Contains(out, s) {
					t.Errorf("contains %q:\n%s", s, out)
				}
			}
		})
	}
}

func TestIframeDocument(t *testing.T) {
	out := IframeDocument(`<p>report</p>`)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if cs, _ := doc.Find("head meta[charset]").Attr("charset"); cs != "utf-8" {
		t.Errorf("charset = %q", cs)
	}
	if target, _ := doc.Find("head base").Attr("target"); target != "_blank" {
		t.Errorf("base target = %q", target)
	}
	if doc.Find("body p").Text() != "report" || !strings.HasPrefix(out, "<!DOCTYPE html>") {
		t.Errorf("document = %s", out)
	}
}

// TestSecuritySanitizeCIDOnlyAsImage: a mail's HTML can point at its inline parts
// (issue 11's evil.svg) only as the src of an <img>, never as a link, frame, object,
// form, style or other URL a browser would open as a document.
func TestSecuritySanitizeCIDOnlyAsImage(t *testing.T) {
	for _, in := range []string{
		`<a href="cid:evil.svg">link</a>`, `<a href="CID:evil.svg">upper</a>`, `<area href="cid:evil.svg">`,
		`<iframe src="cid:evil.svg"></iframe>`, `<frameset><frame src="cid:evil.svg"></frameset>`,
		`<object data="cid:evil.svg"></object>`, `<embed src="cid:evil.svg">`,
		`<form action="cid:evil.svg"><button formaction="cid:evil.svg">b</button></form>`,
		`<link rel="stylesheet" href="cid:evil.svg">`, `<base href="cid:evil.svg">`,
		`<meta http-equiv="refresh" content="0;url=cid:evil.svg">`,
		`<svg><image href="cid:evil.svg"/><a xlink:href="cid:evil.svg">s</a></svg>`, `<math href="cid:evil.svg">m</math>`,
		`<video poster="cid:evil.svg" src="cid:evil.svg"></video>`, `<audio src="cid:evil.svg"></audio>`,
		`<picture><source srcset="cid:evil.svg"></picture>`, `<img srcset="cid:evil.svg 2x" longdesc="cid:evil.svg" usemap="cid:evil.svg">`,
		`<input type="image" src="cid:evil.svg">`, `<table background="cid:evil.svg"><tr><td background="cid:evil.svg">x</td></tr></table>`,
		`<td style="background-image: url(cid:evil.svg)">x</td>`, `<div style="background:url('cid:evil.svg')">d</div>`,
		`<style>body { background: url(cid:evil.svg) }</style>`, `<blockquote cite="cid:evil.svg">q</blockquote>`,
	} {
		if out := SanitizeHTML(in, cidPath); strings.Contains(strings.ToLower(out), "cid") {
			t.Errorf("%s\nbecame %s", in, out)
		}
	}
	_, doc := sanitizedDoc(t, `<p><img src="cid:good.png" srcset="cid:evil.svg" alt="ok"></p>`, cidPath)
	img := doc.Find("img")
	if src, _ := img.Attr("src"); img.Length() != 1 || src != "/inbox/7/cid/good.png" || len(img.Nodes[0].Attr) != 2 {
		t.Errorf("image: %v", img.Nodes[0].Attr)
	}
}
