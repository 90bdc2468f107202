// Package mailtest builds crafted mails for tests.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
)

// EvilSVG is issue 11's inline part: an SVG that runs script when a browser opens it as
// a document, through a <script> element and an onload attribute. Either one marks the
// page: document.title becomes "pwned" and window.pwned is set.
const EvilSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" ` +
	`onload="window.pwned = 'onload'; document.title = 'pwned'">` +
	`<script>window.pwned = 'script'; document.title = 'pwned'</script>` +
	`<rect width="10" height="10" fill="red"/></svg>`

// PNG returns a 1×1 PNG image.
func PNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{R: 0, G: 176, B: 80, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // encoding to memory cannot fail
	}
	return b.Bytes()
}

// InlinePartsMail returns mail n of a crafted report whose HTML shows three inline
// parts by cid: URL: logo.png (a PNG), evil.svg (EvilSVG, declared image/svg+xml) and
// fake.png (EvilSVG again, declared image/png and named logo.png).
func InlinePartsMail(n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Reports <reports@example.com>\r\nTo: backups@example.net\r\n"+
		"Subject: Backup report %d\r\nDate: Tue, 7 Oct 2025 03:12:09 +0200\r\n"+
		"Message-ID: <inline-parts-%d@example.com>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/related; boundary=\"rel\"\r\n\r\n", n, n)
	b.WriteString("--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		`<p>Backup report</p><img src="cid:logo.png" alt="logo"><img src="cid:evil.svg" alt="chart"><img src="cid:fake.png" alt="fake">` + "\r\n")
	b.WriteString("--rel\r\nContent-Type: image/svg+xml\r\nContent-ID: <evil.svg>\r\n" +
		"Content-Disposition: inline; filename=\"evil.svg\"\r\n\r\n" + EvilSVG + "\r\n")
	b.WriteString("--rel\r\nContent-Type: image/png\r\nContent-ID: <fake.png>\r\n" +
		"Content-Disposition: inline; filename=\"logo.png\"\r\n\r\n" + EvilSVG + "\r\n")
	b.WriteString("--rel\r\nContent-Type: image/png\r\nContent-ID: <logo.png>\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: inline; filename=\"logo.png\"\r\n\r\n" + base64.StdEncoding.EncodeToString(PNG()) + "\r\n")
	b.WriteString("--rel--\r\n")
	return []byte(b.String())
}
