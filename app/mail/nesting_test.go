package mail

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"
)

// hostileNesting are crafted mails that nest multiparts depth levels deep, each in a way
// enmime follows: the top-level text body comes first, an inner text part last.
var hostileNesting = []struct {
	name string
	// level writes the header of nesting level i (boundary b<i>) and the boundary line
	// that opens level i+1 is written by the caller.
	level func(b *strings.Builder, i int)
	open  func(i int) string // a boundary line opening a part of level i
}{
	{"multipart/mixed", func(b *strings.Builder, i int) {
		fmt.Fprintf(b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n", i)
	}, func(i int) string { return fmt.Sprintf("--b%d\r\n", i) }},
	// enmime reads any part with a boundary parameter as a multipart.
	{"any type with a boundary", func(b *strings.Builder, i int) {
		ctype := "application/x-nest"
		if i == 0 {
			ctype = "multipart/mixed" // the top level only counts as multipart
		}
		fmt.Fprintf(b, "Content-Type: %s; boundary=b%d\r\n\r\n", ctype, i)
	}, func(i int) string { return fmt.Sprintf("--b%d\r\n", i) }},
	// enmime repairs a continuation line without indentation.
	{"unindented continuation", func(b *strings.Builder, i int) {
		fmt.Fprintf(b, "Content-Type: multipart/mixed;\r\nboundary=b%d\r\n\r\n", i)
	}, func(i int) string { return fmt.Sprintf("--b%d\r\n", i) }},
	// enmime takes "--boundary" and white space as a boundary, whatever follows.
	{"boundary lines with trailing text", func(b *strings.Builder, i int) {
		fmt.Fprintf(b, "Content-Type: multipart/related; boundary=\"b%d\"\r\n\r\n", i)
	}, func(i int) string { return fmt.Sprintf("--b%d  trailing text\r\n", i) }},
}

// nestedMail builds a mail whose top-level multipart holds the report text and then
// depth nested levels (shape: one of hostileNesting) with a text part at the bottom.
func nestedMail(shape int, depth int) []byte {
	s := hostileNesting[shape]
	var b strings.Builder
	b.WriteString("From: Veeam <veeam@example.com>\r\nSubject: [Success] Nightly\r\nMIME-Version: 1.0\r\n")
	s.level(&b, 0)
	b.WriteString(s.open(0) + "Content-Type: text/plain\r\n\r\nBackup job: Nightly\r\nSuccess\r\n")
	for i := range depth {
		b.WriteString(s.open(i))
		s.level(&b, i+1)
	}
	b.WriteString(s.open(depth) + "Content-Type: text/plain\r\n\r\ninnermost\r\n")
	for i := depth; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// partDepth is the depth of enmime's part tree (1 for a single part).
func partDepth(p *enmime.Part) int {
	if p == nil {
		return 0
	}
	deepest := 0
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		deepest = max(deepest, partDepth(c))
	}
	return deepest + 1
}

// TestSecurityDeepNestingDecodesBounded replays issue 11's mail bomb: 12,000 nested
// multiparts (855 KB; 46 s of decoding before), in every shape enmime follows. The
// decoder gets at most maxNesting levels, the report text is still found, what was cut
// is noted, and the stored mail (Reduce) is kept byte for byte.
func TestSecurityDeepNestingDecodesBounded(t *testing.T) {
	for shape, s := range hostileNesting {
		t.Run(s.name, func(t *testing.T) {
			raw := nestedMail(shape, 12000)
			red := mustReduce(t, raw, DefaultLimits)
			if !bytes.Equal(red.Raw, raw) {
				t.Fatal("Reduce changed the stored mail")
			}

			view, cut, err := decoderView(raw)
			if err != nil {
				t.Fatal(err)
			}
			root, err := decoder.ReadParts(bytes.NewReader(view))
			if err != nil {
				t.Fatal(err)
			}
			// The root and the multipart levels followed, and their leaf parts.
			if got := partDepth(root); got > maxNesting+1 {
				t.Errorf("the decoder nests %d levels deep, want at most %d", got, maxNesting+1)
			}
			if shape != 1 && len(view) > 8<<10 {
				t.Errorf("the decoder's view is %d bytes: the parts below the limit were not cut", len(view))
			}

			d, err := Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(d.Text, "Backup job: Nightly\nSuccess") || d.Subject != "[Success] Nightly" {
				t.Errorf("report lost: subject %q, text %.200q", d.Subject, d.Text)
			}
			if strings.Contains(d.Text, "innermost") {
				t.Error("text from below the nesting limit was decoded")
			}
			if shape != 1 {
				// (A part of another type is one opaque part here, holding all below it.)
				if cut != 1 || !strings.Contains(strings.Join(d.Errors, "\n"), "nested deeper than 20 levels") {
					t.Errorf("cut = %d, errors %q: want the cut noted", cut, d.Errors)
				}
			}
			checkClean(t, d)
		})
	}
}

func TestDecoderViewKeepsStructure(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		want []string // part content types, depth first, as enmime reads the view
		text string
	}{
		{
			name: "nesting within the limit",
			raw: "Content-Type: multipart/mixed; boundary=o\r\n\r\npreamble\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n" +
				"--i\r\nContent-Type: text/plain\r\n\r\nplain\r\n--i\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--i--\r\n" +
				"--o\r\nContent-Type: image/png; name=a.png\r\nContent-ID: <a@x>\r\n\r\nPNG\r\n--o--\r\nepilogue\r\n",
			want: []string{"multipart/mixed", "multipart/alternative", "text/plain", "text/html", "image/png"},
			text: "plain",
		},
		{
			// A stray boundary parameter on another type: one opaque part, as Reduce reads it.
			name: "boundary on a leaf",
			raw: "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\nbody\r\n" +
				"--o\r\nContent-Type: application/pdf; boundary=p\r\n\r\n--p\r\nContent-Type: text/plain\r\n\r\nhidden\r\n--p--\r\n--o--\r\n",
			want: []string{"multipart/mixed", "text/plain", "application/pdf"},
			text: "body",
		},
		{
			// Two Content-Type fields, the second folded: enmime reads the first.
			name: "two content types",
			raw: "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\nX-Other: 1\r\nContent-Type: multipart/mixed;\r\n boundary=p\r\n\r\n" +
				"--p\r\nhidden part\r\n--o--\r\n",
			want: []string{"multipart/mixed", "text/plain"},
			text: "--p\nhidden part",
		},
		{
			name: "LF line endings and no closing boundary",
			raw:  "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/plain\n\nline one\nline two\n",
			want: []string{"multipart/mixed", "text/plain"},
			text: "line one\nline two",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			view, cut, err := decoderView([]byte(tc.raw))
			if err != nil || cut != 0 {
				t.Fatalf("decoderView: cut %d, %v", cut, err)
			}
			root, err := decoder.ReadParts(bytes.NewReader(view))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			root.DepthMatchAll(func(p *enmime.Part) bool {
				got = append(got, p.ContentType)
				return false
			})
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("parts %v, want %v\nview:\n%s", got, tc.want, view)
			}
			d, err := Decode([]byte(tc.raw))
			if err != nil || strings.TrimSpace(d.Text) != tc.text {
				t.Errorf("Text = %q (%v), want %q", d.Text, err, tc.text)
			}
		})
	}
}

func TestDecoderViewUnreadable(t *testing.T) {
	// No boundary: the decoder cannot split the mail, and Decode shows it as text.
	raw := "From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n"
	if _, _, err := decoderView([]byte(raw)); err != errNoBoundary {
		t.Fatalf("decoderView: %v, want errNoBoundary", err)
	}
	d, err := Decode([]byte(raw))
	if err != nil || !strings.Contains(d.Text, "hi") || !strings.Contains(strings.Join(d.Errors, " "), "boundary") {
		t.Fatalf("Decode: %+v, %v", d, err)
	}
}
