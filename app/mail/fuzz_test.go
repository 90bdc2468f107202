package mail

import (
	"bytes"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// FuzzReduceDecode checks that no input makes Reduce or Decode panic, that Reduce never
// fails on input it could read, keeps within MaxMessage, counts every byte, and returns
// input that needs no reduction unchanged, and that the MIME decoder is never handed more
// than maxNesting levels of multiparts.
func FuzzReduceDecode(f *testing.F) {
	for _, raw := range fixtures(f) {
		f.Add(raw, uint16(4096), uint16(256))
		f.Add(raw, uint16(700), uint16(40))
	}
	f.Add(reportMail(10), uint16(8000), uint16(1000))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: message/rfc822\r\n\r\n"+
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: image/png\r\n\r\nxxxxxxxx\r\n--a--\r\n"), uint16(200), uint16(4))
	// Issue 11's mail bomb, in each shape enmime follows (testdata/fuzz holds a smaller one).
	for shape := range hostileNesting {
		f.Add(nestedMail(shape, 12000), uint16(4096), uint16(256))
	}

	f.Fuzz(func(t *testing.T, raw []byte, maxMessage, maxAttachment uint16) {
		lim := Limits{MaxMessage: int64(maxMessage)%16384 + 1, MaxAttachment: int64(maxAttachment)%4096 + 1}
		red, err := Reduce(bytes.NewReader(raw), lim)
		if err != nil {
			t.Fatalf("Reduce: %v", err)
		}
		if red.Size != int64(len(raw)) {
			t.Fatalf("Size = %d, want %d", red.Size, len(raw))
		}
		if int64(len(red.Raw)) > lim.MaxMessage {
			t.Fatalf("Raw is %d bytes, over MaxMessage %d", len(red.Raw), lim.MaxMessage)
		}
		if !red.Truncated && len(red.Skipped) == 0 && !bytes.Equal(red.Raw, raw) {
			t.Fatalf("nothing reduced, yet Raw differs:\n%q\n%q", raw, red.Raw)
		}
		if red.Truncated && len(red.Skipped) == 0 && int64(len(raw)) <= lim.MaxMessage {
			t.Fatalf("truncated although the input fits")
		}
		if whole, err := Reduce(bytes.NewReader(raw), DefaultLimits); err != nil || !bytes.Equal(whole.Raw, raw) {
			t.Fatalf("a small input was changed under the default limits (err %v)", err)
		}

		for _, in := range [][]byte{raw, red.Raw} {
			if view, _, err := decoderView(in); err == nil {
				if root, err := decoder.ReadParts(bytes.NewReader(view)); err == nil && partDepth(root) > maxNesting+1 {
					t.Fatalf("the decoder nests %d levels deep", partDepth(root))
				}
			}
			d, err := decode(in, 0) // not Decode: a panic must surface here, not be recovered
			if err != nil {
				continue
			}
			checkClean(t, d)
			if out := SanitizeHTML(d.HTML, cidPath); strings.Contains(strings.ToLower(out), "<script") {
				t.Fatalf("script survived sanitising: %q", out)
			}
		}
	})
}

// reportMail builds a Veeam-style report with rows object rows: a quoted-printable
// text/plain and text/html alternative, the shape of most mails imported.
func reportMail(rows int) []byte {
	var text, html strings.Builder
	html.WriteString(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>` +
		`<table cellspacing="0" cellpadding="0" width="100%" border="0" style="border-collapse: collapse;"><tr>` +
		`<td style="width: 80%;background-color: #00B050;color: White;font-weight: bold;font-size: 16px;font-family: Tahoma;">` +
		`Backup job: Nightly-VMs<div style="margin-top: 5px;font-size: 12px;">Veeam Backup &amp; Replication</div></td>` +
		`<td style="background-color: #00B050;color: White;font-weight: bold;">Success</td></tr></table>` + "\n" +
		`<table width="100%" cellspacing="0" cellpadding="0" border="0" style="border-collapse: collapse;">` + "\n")
	text.WriteString("Backup job: Nightly-VMs\nSuccess\n\nName\tStatus\tStart time\tEnd time\tSize\tRead\tTransferred\n")
	cell := `<td nowrap style="padding: 2px 3px 2px 3px;vertical-align: top;border: 1px solid #a7a9ac;font-family: Tahoma;font-size: 12px;">`
	for i := range rows {
		fmt.Fprintf(&html, "<tr>%sVM-EXAMPLE%03d</td>%s<span style=\"color: #00B050;\">Success</span></td>%s22:00:%02d</td>%s22:%02d:41</td>%s%d,4 GB</td>%s%d,1 GB</td>%s1,%d GB</td></tr>\n",
			cell, i, cell, cell, i%60, cell, 10+i%50, cell, 40+i, cell, 5+i, cell, i%10)
		fmt.Fprintf(&text, "VM-EXAMPLE%03d\tSuccess\t22:00:%02d\t22:%02d:41\t%d,4 GB\t%d,1 GB\t1,%d GB\n", i, i%60, 10+i%50, 40+i, 5+i, i%10)
	}
	html.WriteString("</table><p style=\"font-size: 11px;color: #626365;\">Veeam Backup &amp; Replication 12.1.2.172</p></body></html>\n")

	var b bytes.Buffer
	b.WriteString("From: Veeam Backup <veeam@example.com>\r\nTo: backups@example.net\r\n" +
		"Subject: [Success] Nightly-VMs (" + fmt.Sprint(rows) + " machines)\r\nDate: Tue, 7 Oct 2025 03:12:09 +0200\r\n" +
		"Message-ID: <bench-0001@example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=\"----=_NextPart_bench\"\r\n\r\n")
	for _, part := range []struct{ ctype, body string }{{"text/plain", text.String()}, {"text/html", html.String()}} {
		b.WriteString("------=_NextPart_bench\r\nContent-Type: " + part.ctype + "; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		w := quotedprintable.NewWriter(&b)
		_, _ = w.Write([]byte(strings.ReplaceAll(part.body, "\n", "\r\n")))
		_ = w.Close()
		b.WriteString("\r\n")
	}
	b.WriteString("------=_NextPart_bench--\r\n")
	return b.Bytes()
}

// typicalReport is a report mail of about 20 KB.
func typicalReport() []byte {
	rows := 1
	for len(reportMail(rows)) < 20<<10 {
		rows++
	}
	return reportMail(rows)
}

func BenchmarkDecode(b *testing.B) {
	raw := typicalReport()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := Decode(raw)
		if err != nil || !strings.Contains(d.Text, "VM-EXAMPLE001") {
			b.Fatalf("Decode: %v", err)
		}
	}
}

func BenchmarkReduce(b *testing.B) {
	raw := typicalReport()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Reduce(bytes.NewReader(raw), DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSanitizeHTML(b *testing.B) {
	d, err := Decode(typicalReport())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(d.HTML)))
	b.ReportAllocs()
	for b.Loop() {
		SanitizeHTML(d.HTML, cidPath)
	}
}

// BenchmarkHostileInput decodes crafted mails as an import does (Reduce, then Decode):
// issue 11's 12,000 nested multiparts (855 KB) took 46 s; the target is 50 ms. The
// parsers' hostile bodies are measured by the benchmark of the same name in app/parsers.
func BenchmarkHostileInput(b *testing.B) {
	for shape, s := range hostileNesting {
		raw := nestedMail(shape, 12000)
		b.Run("nesting 12000/"+s.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				red, err := Reduce(bytes.NewReader(raw), DefaultLimits)
				if err != nil {
					b.Fatal(err)
				}
				if d, err := Decode(red.Raw); err != nil || !strings.Contains(d.Text, "Backup job: Nightly") {
					b.Fatalf("Decode: %v", err)
				}
			}
		})
	}
}
