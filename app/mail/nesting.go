package mail

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"math"
	"mime"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// errNoBoundary: a multipart mail without a boundary parameter, which the decoder cannot
// split into parts.
var errNoBoundary = errors.New("multipart message without a boundary parameter")

// decoderView rewrites a raw mail into what the MIME decoder reads, so that decoding costs
// time linear in the mail's size. enmime follows multiparts to any depth, and every level
// re-reads the bytes below it: a crafted mail of 12,000 nested multiparts (855 KB) took 46
// seconds. The stored mail is not changed; only what enmime sees is.
//
// The view holds the mail's parts as Reduce finds them, each written so that the decoder
// cannot find more structure than is found here:
//   - a multipart nested deeper than maxNesting is cut: its place holds an empty part
//     marked with SkippedHeader, which Decode leaves out; cut counts them;
//   - every multipart followed gets a boundary that occurs nowhere in the mail, and loses
//     its preamble and epilogue, so the decoder finds exactly these parts whatever its own
//     reading of odd boundary lines would be;
//   - each part's only Content-Type field is the one written here, last in its header:
//     the original value, with the boundary replaced (a multipart followed) or removed
//     (any other part).
//
// Header fields other than Content-Type and part bodies are copied byte for byte.
// errNoBoundary is returned for a top-level multipart without a boundary.
func decoderView(raw []byte) (view []byte, cut int, err error) {
	in := readers.Get().(*bufio.Reader)
	in.Reset(bytes.NewReader(raw))
	defer func() {
		in.Reset(nil)
		readers.Put(in)
	}()
	v := &viewWriter{
		reducer:  reducer{in: in, lim: Limits{MaxMessage: math.MaxInt64}, eol: "\r\n", out: make([]byte, 0, len(raw)+512)},
		boundary: freshBoundary(raw),
	}
	if err := v.entity(0); err != nil {
		return nil, 0, err
	}
	return v.out, v.cut, nil
}

// freshBoundary returns a boundary prefix that does not occur in raw; the view's
// boundaries are this prefix and a two-digit depth. It is random, so a mail cannot be
// made to contain it (a fixed prefix with a counter could be defeated by a mail holding
// many of its variants, each costing a scan).
func freshBoundary(raw []byte) string {
	for {
		b := "=_bc_" + rand.Text() + "_"
		if !bytes.Contains(raw, []byte(b)) {
			return b
		}
	}
}

// viewWriter reads the mail with the reducer's line and boundary handling and writes
// the view into its output.
type viewWriter struct {
	reducer
	boundary string
	cut      int
}

func (v *viewWriter) boundaryAt(depth int) string { return fmt.Sprintf("%s%02d", v.boundary, depth) }

// entity writes one entity: the mail itself or a part of a multipart. It returns at the
// end of input or at a boundary line of an open multipart, which it leaves pending.
func (v *viewWriter) entity(depth int) error {
	headerStart := len(v.out)
	hasBody := false
	for {
		b, start, ok := v.line()
		if !ok {
			break
		}
		if d, _ := v.delimiter(b, start); d >= 0 {
			v.unread(b)
			break
		}
		if start && (string(b) == "\r\n" || string(b) == "\n") {
			hasBody = true
			break
		}
		v.appendOut(b)
	}
	// The header is written again below, without its Content-Type fields.
	block := bytes.Clone(v.out[headerStart:])
	v.out = v.out[:headerStart]
	ctype, ok := partContentType(block)
	if !ok && depth == 0 {
		// As enmime: a mail header it cannot read makes the mail unreadable as MIME.
		return errors.New("mail header unreadable")
	}
	mtype, params, _, perr := mediatype.Parse(ctype)
	container := perr == nil && strings.HasPrefix(mtype, "multipart/")
	if container && params["boundary"] == "" {
		if depth == 0 {
			return errNoBoundary
		}
		container = false // a part without a boundary is read as one opaque part
	}

	switch {
	case container && depth >= maxNesting:
		v.cut++
		v.appendOut([]byte("Content-Type: application/octet-stream" + v.eol +
			fmt.Sprintf("%s: nested deeper than %d levels%s%s", SkippedHeader, maxNesting, v.eol, v.eol)))
		if hasBody {
			v.body(false)
		}
	case container:
		own := v.boundaryAt(depth)
		v.header(block, multipartType(mtype, params, own))
		if hasBody {
			v.multipart(params["boundary"], own, depth)
		} else {
			v.appendOut([]byte("--" + own + "--" + v.eol))
		}
	default:
		if perr == nil && params["boundary"] != "" {
			ctype = leafType(mtype, params)
		}
		v.header(block, ctype)
		if hasBody {
			v.body(true)
		}
	}
	return nil
}

// header writes a part's header block without its Content-Type fields, then ctype (if
// any) as the only one, then the blank line.
func (v *viewWriter) header(block []byte, ctype string) {
	skipping := false
	for line := range bytes.Lines(block) {
		if skipping && isContinuation(line) {
			continue // a folded line of a Content-Type field left out
		}
		skipping = isContentTypeField(line)
		if !skipping {
			v.appendOut(line)
		}
	}
	if n := len(v.out); n > 0 && v.out[n-1] != '\n' {
		v.appendOut([]byte(v.eol)) // the block ended inside a line (end of input)
	}
	if ctype != "" {
		v.appendOut([]byte("Content-Type: " + ctype + v.eol))
	}
	v.appendOut([]byte(v.eol))
}

// multipart writes the parts of a multipart with the view's boundary own instead of
// boundary; preamble and epilogue are left out.
func (v *viewWriter) multipart(boundary, own string, depth int) {
	v.bounds = append(v.bounds, boundary)
	me := len(v.bounds) - 1
	defer func() { v.bounds = v.bounds[:me] }()
	for {
		b, start, ok := v.line()
		if !ok {
			// Cut off without its closing boundary: left so, for the decoder to note.
			return
		}
		d, closing := v.delimiter(b, start)
		if d < 0 {
			continue // preamble, or what an inner part left
		}
		if d != me {
			v.unread(b) // an outer boundary ends this multipart
			break
		}
		v.restOfLine(false) // of a boundary line longer than the read buffer
		if closing {
			v.skipEpilogue(me)
			break
		}
		v.lineBreak()
		v.appendOut([]byte("--" + own + v.eol))
		// Errors are only possible at the top level.
		_ = v.entity(depth + 1)
	}
	v.lineBreak()
	v.appendOut([]byte("--" + own + "--" + v.eol))
}

// skipEpilogue reads to the next boundary of a multipart outside multipart me.
func (v *viewWriter) skipEpilogue(me int) {
	for {
		b, start, ok := v.line()
		if !ok {
			return
		}
		if d, _ := v.delimiter(b, start); d >= 0 && d < me {
			v.unread(b)
			return
		}
	}
}

// body reads a part's body up to the next boundary of an open multipart, copying it
// to the output when keep is set (a cut part's body is only read past).
func (v *viewWriter) body(keep bool) {
	for {
		b, start, ok := v.line()
		if !ok {
			return
		}
		if d, _ := v.delimiter(b, start); d >= 0 {
			v.unread(b)
			return
		}
		if keep {
			v.appendOut(b)
		}
	}
}

// lineBreak ends the output's last line, so that a boundary written next starts a line.
func (v *viewWriter) lineBreak() {
	if n := len(v.out); n > 0 && v.out[n-1] != '\n' {
		v.appendOut([]byte(v.eol))
	}
}

// partContentType returns the Content-Type value enmime reads from a header block
// (enmime's own header reader, so both agree on odd headers); ok is false if the block
// cannot be read as a header.
func partContentType(block []byte) (string, bool) {
	h, err := enmime.ReadHeader(bufio.NewReader(bytes.NewReader(block)), discardNotes{})
	if err != nil {
		return "", false
	}
	return h.Get("Content-Type"), true
}

// multipartType is a multipart's Content-Type with the view's boundary. The result is
// checked the way the decoder parses it.
func multipartType(mtype string, params map[string]string, boundary string) string {
	p := maps.Clone(params)
	p["boundary"] = boundary
	for _, s := range []string{mime.FormatMediaType(mtype, p), mime.FormatMediaType(mtype, map[string]string{"boundary": boundary})} {
		if _, got, _, err := mediatype.Parse(s); s != "" && err == nil && got["boundary"] == boundary {
			return s
		}
	}
	// mtype itself does not format (mediatype.Parse accepts more than FormatMediaType).
	return "multipart/mixed; boundary=\"" + boundary + "\""
}

// leafType is a Content-Type without its boundary parameter, for a part that is not read
// as a multipart. The result is checked the way the decoder parses it: whatever the
// original's quoting, the decoder finds no boundary in what is written.
func leafType(mtype string, params map[string]string) string {
	p := maps.Clone(params)
	delete(p, "boundary")
	for _, s := range []string{mime.FormatMediaType(mtype, p), mime.FormatMediaType(mtype, nil)} {
		if _, got, _, err := mediatype.Parse(s); s != "" && err == nil && got["boundary"] == "" {
			return s
		}
	}
	return "application/octet-stream"
}

// isContentTypeField reports whether a header line starts a field the decoder may read as
// Content-Type: the name before the colon, spaces and tabs removed, in any case. It is
// deliberately broader than the decoder's reading, so no second Content-Type survives.
func isContentTypeField(line []byte) bool {
	if len(line) == 0 || line[0] == ' ' || line[0] == '\t' {
		return false
	}
	name, _, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return false
	}
	name = bytes.ReplaceAll(bytes.ReplaceAll(name, []byte(" "), nil), []byte("\t"), nil)
	return bytes.EqualFold(name, []byte("content-type"))
}

// isContinuation reports whether enmime reads a header line as the continuation of the
// field before it: folded (leading white space) or, a repair it makes, a line without a
// colon.
func isContinuation(line []byte) bool {
	return len(line) > 0 && (line[0] == ' ' || line[0] == '\t' || !bytes.Contains(line, []byte(":")))
}

// discardNotes ignores header problems (enmime.ErrorCollector): the decoder reports them.
type discardNotes struct{}

func (discardNotes) AddError(string, string, ...any)   {}
func (discardNotes) AddWarning(string, string, ...any) {}
