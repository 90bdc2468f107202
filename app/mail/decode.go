package mail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"golang.org/x/text/encoding/charmap"
)

// Decoded is a stored mail's MIME decoded for display and parsing. Every string is valid
// UTF-8 without NUL bytes (what Postgres text columns accept); Text and HTML use "\n"
// line endings.
type Decoded struct {
	From      string    // sender's bare address, lower case
	FromName  string    // sender's display name
	Subject   string    // RFC 2047 decoded
	MessageID string    // without the angle brackets
	Date      time.Time // the Date header; zero if missing or unreadable
	Text      string    // text/plain body; rendered from HTML if the mail has none
	HTML      string    // text/html body, not sanitised; empty if the mail has none
	// Attachments are the non-body parts (files, forwarded messages, inline non-image
	// parts), for parsers that read a report from an attachment.
	Attachments []Attachment
	Inline      []InlinePart // images with a Content-ID, for cid: URLs in HTML
	Errors      []string     // what the MIME decoder could not read cleanly (not fatal)

	// DateZoneUnknown: the Date header's offset is "-0000", "local zone unknown".
	DateZoneUnknown bool
}

// Attachment is a non-body part of a mail (a file, a forwarded message, an inline part
// that is no image), as the mail declares it.
type Attachment struct {
	Filename    string
	ContentType string // as the mail declares it
	Data        []byte
}

// InlinePart is an image the HTML body can refer to with a cid: URL.
type InlinePart struct {
	ContentID   string // without the angle brackets
	ContentType string // as the mail declares it: never trusted (see RasterType)
	Filename    string
	Data        []byte
}

// RasterType returns what data is by its content (magic bytes), if that is one of the
// raster image types a browser only ever renders as a picture: image/png, image/jpeg,
// image/gif or image/webp. It returns "" for anything else (an SVG, which can hold
// script, HTML, text, a damaged image), whatever type the mail declared.
func RasterType(data []byte) string {
	switch t := http.DetectContentType(data); t {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return t
	}
	return ""
}

const (
	// maxErrors bounds the decoder notes kept per mail (garbage can yield thousands).
	maxErrors = 50
	// maxForwardDepth bounds how many forwards-as-attachment are followed for the body.
	maxForwardDepth = 3
	// emptyishText: an outer body with fewer visible characters than this, next to one
	// forwarded message, is a forwarding note at most and the forwarded body is shown.
	emptyishText = 200
)

// decoder tolerates malformed parts (skips them with an error note) and recovers what
// it can of corrupt base64 text. A declared charset is trusted: guessing (chardet) is
// left for undeclared parts, as it costs half of the decoding time and can overrule a
// correct label; the two usual mislabellings are repaired afterwards (see cleanBody).
var decoder = enmime.NewParser(
	enmime.SkipMalformedParts(true),
	enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
	enmime.MaxStoredPartErrors(20),
	enmime.DisableCharacterDetection(true),
)

// ErrNotMail is returned by Decode for input that has no mail header at all.
var ErrNotMail = errors.New("no mail header found")

// Decode decodes a raw mail (as Reduce keeps it). Charsets, transfer encodings and
// nested multiparts are handled by enmime; damaged parts are noted in Errors, not
// returned as an error. An error means nothing usable could be read (empty input, no
// mail header); the caller then stores the mail as unparsed with that error.
//
// A mail forwarded as an attachment (message/rfc822) whose own body is empty-ish (one
// forwarded message and under 200 visible characters of text, i.e. no more than a
// forwarding note or a signature) takes its Text and HTML from the forwarded mail, and
// the forwarded mail's attachments and images are added; From, Subject and Date stay
// the outer mail's, since that is how the mailbox received it. Gmail's inline "Forwarded
// message" is ordinary body text and is decoded as such.
func Decode(raw []byte) (d *Decoded, err error) {
	defer func() {
		// enmime is fuzzed upstream, but a mail must never take the importer down.
		if p := recover(); p != nil {
			d, err = nil, fmt.Errorf("mail: decode: decoder panicked: %v", p)
		}
	}()
	return decode(raw, 0)
}

func decode(raw []byte, depth int) (*Decoded, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("mail: decode: empty message")
	}
	// enmime reads a view of the mail with its nesting bounded (see decoderView); the
	// fallback below reads raw, in one pass.
	view, cut, err := decoderView(raw)
	var env *enmime.Envelope
	if err == nil {
		env, err = decoder.ReadEnvelope(bytes.NewReader(view))
	}
	if err != nil {
		// The structure is unreadable (e.g. a top-level Content-Type no parser accepts):
		// keep the headers and show the rest as text.
		return decodeFallback(raw, err)
	}
	if !hasMailHeader(env.Root.Header) {
		return nil, fmt.Errorf("mail: decode: %w", ErrNotMail)
	}
	d := &Decoded{
		Subject:   cleanHeader(env.GetHeader("Subject")),
		MessageID: messageID(env.Root.Header.Get("Message-Id")),
		Date:      parseDate(env.Root.Header.Get("Date")),
		Text:      cleanBody(env.Text),
		HTML:      cleanBody(env.HTML),
	}
	d.From, d.FromName = fromAddress(env)
	if cut > 0 {
		d.addError(fmt.Sprintf("multiparts nested deeper than %d levels not decoded (%d cut; they are in the stored mail)", maxNesting, cut))
	}
	for _, e := range env.Errors {
		d.addError(e.Error())
	}
	d.collectParts(env)
	d.DateZoneUnknown = dateZoneUnknown(env.Root.Header.Get("Date"))
	if depth < maxForwardDepth {
		d.useForwardedBody(env, depth)
	}
	return d, nil
}

func (d *Decoded) addError(s string) {
	if len(d.Errors) < maxErrors {
		d.Errors = append(d.Errors, validUTF8(s))
	}
}

// collectParts sorts the non-body parts into Attachments and Inline.
func (d *Decoded) collectParts(env *enmime.Envelope) {
	seen := map[*enmime.Part]bool{}
	for _, list := range [][]*enmime.Part{env.Attachments, env.Inlines, env.OtherParts} {
		for _, p := range list {
			if seen[p] || strings.HasPrefix(p.ContentType, "multipart/") ||
				p.Header.Get(SkippedHeader) != "" { // left out by Reduce: no data
				continue
			}
			seen[p] = true
			filename := cleanHeader(p.FileName)
			if strings.HasPrefix(p.ContentType, "image/") && p.ContentID != "" {
				d.Inline = append(d.Inline, InlinePart{
					ContentID: p.ContentID, ContentType: p.ContentType, Filename: filename, Data: p.Content,
				})
				if p.Disposition != "attachment" {
					continue
				}
			}
			if isBodyPart(p) {
				continue
			}
			d.Attachments = append(d.Attachments, Attachment{
				Filename: filename, ContentType: p.ContentType, Data: p.Content,
			})
		}
	}
}

// isBodyPart reports whether an inline part is (a piece of) the text or HTML body.
func isBodyPart(p *enmime.Part) bool {
	return (p.ContentType == "text/plain" || p.ContentType == "text/html") &&
		p.Disposition != "attachment" && p.FileName == ""
}

// useForwardedBody shows a forwarded-as-attachment mail's body when the outer mail has
// next to nothing of its own (see Decode).
func (d *Decoded) useForwardedBody(env *enmime.Envelope, depth int) {
	forwards := env.Root.DepthMatchAll(func(p *enmime.Part) bool {
		return (p.ContentType == "message/rfc822" || p.ContentType == "message/global") &&
			p.Header.Get(SkippedHeader) == "" && len(p.Content) > 0
	})
	if len(forwards) != 1 || visibleRunes(d.Text) >= emptyishText {
		return
	}
	inner, err := decode(forwards[0].Content, depth+1)
	if err != nil {
		d.addError("forwarded message: " + err.Error())
		return
	}
	d.Text, d.HTML = inner.Text, inner.HTML
	d.Attachments = append(d.Attachments, inner.Attachments...)
	d.Inline = append(d.Inline, inner.Inline...)
	for _, e := range inner.Errors {
		d.addError("forwarded message: " + e)
	}
}

func visibleRunes(s string) int {
	n := 0
	for _, r := range s {
		if r > ' ' && r != '\u00a0' {
			n++
		}
	}
	return n
}

// mailHeaders are header fields of which at least one makes input a mail.
var mailHeaders = []string{"From", "To", "Subject", "Date", "Message-Id", "Mime-Version", "Content-Type", "Received", "Return-Path"}

func hasMailHeader(h map[string][]string) bool {
	for _, k := range mailHeaders {
		if len(h[k]) > 0 {
			return true
		}
	}
	return false
}

// decodeFallback reads what it can when enmime gives up on the structure: the header
// block, and the rest as plain text.
func decodeFallback(raw []byte, cause error) (*Decoded, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	var notes noteCollector
	h, err := enmime.ReadHeader(br, &notes)
	if err != nil || !hasMailHeader(h) {
		return nil, fmt.Errorf("mail: decode: %w: %v", ErrNotMail, cause)
	}
	rest, _ := br.ReadBytes(0) // reads to the end; a bytes.Reader has no other error
	d := &Decoded{
		Subject:   cleanHeader(decodeWords(h.Get("Subject"))),
		MessageID: messageID(h.Get("Message-Id")),
		Date:      parseDate(h.Get("Date")),
		Text:      cleanBody(string(rest)),
	}
	d.DateZoneUnknown = dateZoneUnknown(h.Get("Date"))
	if list, err := enmime.ParseAddressList(h.Get("From")); err == nil && len(list) > 0 {
		d.From, d.FromName = strings.ToLower(validUTF8(list[0].Address)), cleanHeader(list[0].Name)
	} else {
		d.From = bareAddress(h.Get("From"))
	}
	d.addError("MIME structure unreadable, body shown as text: " + cause.Error())
	d.Errors = append(d.Errors, notes...)
	if len(d.Errors) > maxErrors {
		d.Errors = d.Errors[:maxErrors]
	}
	return d, nil
}

// noteCollector keeps header problems as text (enmime.ErrorCollector).
type noteCollector []string

func (n *noteCollector) AddError(name string, format string, args ...any) {
	*n = append(*n, validUTF8(fmt.Sprintf("[E] %s: %s", name, fmt.Sprintf(format, args...))))
}

func (n *noteCollector) AddWarning(name string, format string, args ...any) {
	*n = append(*n, validUTF8(fmt.Sprintf("[W] %s: %s", name, fmt.Sprintf(format, args...))))
}

func fromAddress(env *enmime.Envelope) (addr, name string) {
	list, err := env.AddressList("From")
	if err == nil && len(list) > 0 {
		return strings.ToLower(validUTF8(strings.TrimSpace(list[0].Address))), cleanHeader(list[0].Name)
	}
	return bareAddress(env.Root.Header.Get("From")), ""
}

var addressPattern = regexp.MustCompile(`[^\s<>"',;:()\[\]]+@[^\s<>"',;:()\[\]]+`)

// bareAddress finds an address in a From header net/mail cannot parse.
func bareAddress(s string) string {
	return strings.ToLower(validUTF8(addressPattern.FindString(s)))
}

func messageID(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
		}
	}
	return validUTF8(strings.Trim(s, "<> \t"))
}

// dateLayouts are tried after net/mail's parser, for senders that bend RFC 5322.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700 (MST)",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	time.RFC3339,
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
}

var dateComment = regexp.MustCompile(`\s*\([^)]*\)\s*$`)

func parseDate(s string) time.Time {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(s); err == nil {
		return t
	}
	for _, v := range []string{s, dateComment.ReplaceAllString(s, "")} {
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, v); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// dateZoneUnknown reports whether a Date header's offset is "-0000", which RFC 5322
// reserves for a time in UTC whose writer did not know its local zone: such a Date
// says nothing about the sender's zone.
func dateZoneUnknown(s string) bool {
	for _, f := range strings.Fields(dateComment.ReplaceAllString(s, "")) {
		if f == "-0000" {
			return true
		}
	}
	return false
}

// cleanHeader makes a decoded header value one clean line.
func cleanHeader(s string) string {
	if strings.Contains(s, "=?") {
		// enmime's lenient decoder also repairs broken encoded words.
		s = enmime.DecodeRFC2047(s)
	}
	return strings.Join(strings.Fields(validUTF8(s)), " ")
}

// cleanBody makes a body valid UTF-8 with "\n" line endings, undoing a wrong charset
// label: Latin-1 bytes labelled UTF-8 (see validUTF8) and UTF-8 labelled Latin-1,
// windows-1252 or US-ASCII (see undoMojibake).
func cleanBody(s string) string {
	s = undoMojibake(validUTF8(s))
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return s
}

// validUTF8 returns s as valid UTF-8 without NUL bytes. Text that is not UTF-8 and has
// no UTF-8 sequence at all is an undeclared or mislabelled 8-bit charset, nearly always
// windows-1252 in these mails; otherwise bad bytes become U+FFFD.
func validUTF8(s string) string {
	if !utf8.ValidString(s) {
		if hasNoUTF8Sequence(s) {
			if t, err := charmap.Windows1252.NewDecoder().String(s); err == nil {
				s = t
			}
		}
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

func hasNoUTF8Sequence(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size > 1 {
			return false
		}
		i++
	}
	return true
}

// cp1252Bytes maps the characters windows-1252 puts at 0x80-0x9F back to their bytes.
var cp1252Bytes = func() map[rune]byte {
	m := map[rune]byte{}
	for b := 0x80; b <= 0x9f; b++ {
		if r := charmap.Windows1252.DecodeByte(byte(b)); r != utf8.RuneError {
			m[r] = byte(b)
		}
	}
	return m
}()

// undoMojibake recognises UTF-8 that was decoded as Latin-1 or windows-1252 ("TÃ¢che"
// for "Tâche"): if every character maps back to one byte and those bytes are UTF-8 with
// at least one multi-byte character, that is what the text was. Genuine Latin-1 text
// practically never forms valid UTF-8 this way.
func undoMojibake(s string) string {
	multi := false
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			multi = true
			break
		}
	}
	if !multi {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r <= 0xff:
			b = append(b, byte(r))
		case cp1252Bytes[r] != 0:
			b = append(b, cp1252Bytes[r])
		default:
			return s
		}
	}
	if !utf8.Valid(b) || !hasMultiByte(b) {
		return s
	}
	return string(b)
}

func hasMultiByte(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
