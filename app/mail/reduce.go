package mail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"strings"
	"sync"
	"unicode"

	"github.com/jhillyerd/enmime/v2/mediatype"
	"golang.org/x/text/encoding/htmlindex"
)

// SkippedHeader is the header Reduce adds to a part whose body it left out.
const SkippedHeader = "X-Backupchecks-Skipped"

// Reduced is a mail as Reduce leaves it: what is kept of the raw MIME and what was left out.
type Reduced struct {
	Raw       []byte        // the MIME kept, at most MaxMessage bytes
	Size      int64         // bytes read from the source in total
	Skipped   []SkippedPart // attachments whose body was left out
	Truncated bool          // the mail was cut off at MaxMessage
}

const (
	// maxNesting bounds how deep multiparts and forwarded messages are followed; deeper
	// content is copied as it is (a mail bomb of nested parts costs nothing but bytes).
	maxNesting = 20
	// maxBoundary bounds a boundary we track: RFC 2046 allows 70 characters, and the
	// closing lines written on truncation must stay small.
	maxBoundary = 200
	// readBuffer is the one buffer Reduce holds besides the output.
	readBuffer = 64 << 10
)

// Reduce streams a raw mail from r and returns it bounded by lim: the body of every
// attachment (any part but text/plain and text/html bodies, multipart containers and
// forwarded messages, which are followed into) larger than lim.MaxAttachment is left out,
// its headers kept with an X-Backupchecks-Skipped header added, and the output stops at
// lim.MaxMessage. Everything else is copied byte for byte, so a mail that needs no
// reduction comes out identical. It holds at most about lim.MaxMessage plus one read
// buffer in memory, whatever the input size, and reads r to the end to count Size.
//
// Malformed MIME is never an error: what cannot be understood is copied as it is (up to
// lim.MaxMessage). Only a read error from r is returned. Zero limits mean DefaultLimits.
func Reduce(r io.Reader, lim Limits) (Reduced, error) {
	if lim.MaxMessage <= 0 {
		lim.MaxMessage = DefaultLimits.MaxMessage
	}
	if lim.MaxAttachment <= 0 {
		lim.MaxAttachment = DefaultLimits.MaxAttachment
	}
	cr := &countingReader{r: r}
	in := readers.Get().(*bufio.Reader)
	in.Reset(cr)
	defer func() {
		in.Reset(nil)
		readers.Put(in)
	}()
	red := &reducer{in: in, lim: lim, eol: "\r\n"}
	red.entity("text/plain", 0)
	if red.hasPend && !red.truncated {
		// Cannot happen at the top level (no multipart is open there), but never lose bytes.
		red.emit(red.pending)
	}
	if red.err == nil {
		// After a truncation the rest is only counted.
		if _, err := io.Copy(io.Discard, red.in); err != nil {
			red.err = err
		}
	}
	if red.err != nil {
		return Reduced{}, fmt.Errorf("mail: reduce: read: %w", red.err)
	}
	return Reduced{Raw: red.out, Size: cr.n, Skipped: red.skipped, Truncated: red.truncated}, nil
}

// readers recycles read buffers: an import reduces mail after mail.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBuffer) }}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// reducer copies one mail line by line. Boundaries are matched on the raw lines, so
// parts are copied verbatim instead of being decoded and encoded again.
type reducer struct {
	in  *bufio.Reader
	lim Limits
	out []byte
	eol string // the mail's line ending, for the lines Reduce writes itself

	bounds  []string // boundaries of the open multiparts, outermost first
	pending []byte   // a boundary line an inner part stopped at, for the multipart it belongs to
	hasPend bool

	midLine   bool // the last read ended inside an overlong line
	sawLine   bool // the line ending has been detected
	done      bool // end of input or a read error
	err       error
	truncated bool
	skipped   []SkippedPart
}

// line returns the next line with its line ending (or a piece of a line longer than the
// read buffer). start tells whether the piece starts a line, the only kind that can be a
// boundary. ok is false at the end of input, after a read error and after truncation.
func (r *reducer) line() (b []byte, start, ok bool) {
	if r.hasPend {
		r.hasPend = false
		return r.pending, true, true
	}
	if r.done || r.truncated {
		return nil, false, false
	}
	b, err := r.in.ReadSlice('\n')
	start = !r.midLine
	switch {
	case err == nil:
		r.midLine = false
		if !r.sawLine {
			r.sawLine = true
			if !bytes.HasSuffix(b, []byte("\r\n")) {
				r.eol = "\n"
			}
		}
	case errors.Is(err, bufio.ErrBufferFull):
		r.midLine = true
	case errors.Is(err, io.EOF):
		r.done, r.midLine = true, false
	default:
		r.done, r.err = true, err
		return nil, false, false
	}
	if len(b) == 0 {
		return nil, false, false
	}
	return b, start, true
}

// restOfLine reads the rest of a line longer than the read buffer whose start line
// returned, copying it to the output if keep is set.
func (r *reducer) restOfLine(keep bool) {
	for r.midLine && !r.hasPend {
		b, _, ok := r.line()
		if !ok {
			return
		}
		if keep {
			r.emit(b)
		}
	}
}

// unread hands a boundary line back, for the multipart that owns it.
func (r *reducer) unread(b []byte) {
	r.pending = append(r.pending[:0], b...)
	r.hasPend = true
}

// delimiter reports which open multipart (index into bounds, -1 if none) the line is a
// boundary of, and whether it is that multipart's closing boundary. As in enmime: a line
// starting with "--" and the boundary is a boundary if white space or "--" (closing)
// follows, whatever comes after; the outermost match wins, as enmime's outer boundary
// reader sees a line before the inner one.
func (r *reducer) delimiter(b []byte, start bool) (int, bool) {
	if !start || len(r.bounds) == 0 || len(b) < 3 || b[0] != '-' || b[1] != '-' {
		return -1, false
	}
	for i, bd := range r.bounds {
		rest, ok := bytes.CutPrefix(b[2:], []byte(bd))
		switch {
		case !ok || len(rest) == 0:
		case bytes.HasPrefix(rest, []byte("--")):
			return i, true
		case unicode.IsSpace(rune(rest[0])):
			return i, false
		}
	}
	return -1, false
}

// emit appends b to the output, or truncates the mail if b does not fit.
func (r *reducer) emit(b []byte) {
	if r.truncated {
		return
	}
	if int64(len(r.out))+int64(len(b)) > r.lim.MaxMessage {
		r.truncate()
		return
	}
	r.appendOut(b)
}

// appendOut grows the output at most to MaxMessage (plain append could reserve twice that).
func (r *reducer) appendOut(b []byte) {
	if need := len(r.out) + len(b); need > cap(r.out) {
		n := max(2*cap(r.out), need, 16<<10)
		if int64(n) > r.lim.MaxMessage && int64(need) <= r.lim.MaxMessage {
			n = int(r.lim.MaxMessage)
		}
		grown := make([]byte, len(r.out), n)
		copy(grown, r.out)
		r.out = grown
	}
	r.out = append(r.out, b...)
}

// truncate stops the copy. The open multiparts are closed with their closing boundaries,
// within MaxMessage, so what is kept stays well-formed MIME.
func (r *reducer) truncate() {
	r.truncated = true
	var suffix []byte
	for i := len(r.bounds) - 1; i >= 0; i-- {
		suffix = append(suffix, "--"+r.bounds[i]+"--"+r.eol...)
	}
	room := r.lim.MaxMessage - int64(len(suffix))
	if len(suffix) == 0 || room <= 0 {
		if int64(len(r.out)) > r.lim.MaxMessage {
			r.out = r.out[:r.lim.MaxMessage]
		}
		return
	}
	cut := min(int64(len(r.out)), room)
	// The closing lines must start a line: cut after the last complete line that fits.
	i := bytes.LastIndexByte(r.out[:cut], '\n')
	if i < 0 {
		r.out = r.out[:cut]
		return
	}
	r.out = r.out[:i+1]
	r.appendOut(suffix)
}

// entity copies one entity, headers and body: the mail itself, a part of a multipart
// or a forwarded message. It returns at the end of input or at a boundary line of an
// open multipart, which it leaves pending.
func (r *reducer) entity(defaultType string, depth int) {
	start := len(r.out)
	headerEnd := -1
	var blank []byte
	for {
		b, start, ok := r.line()
		if !ok {
			return
		}
		if d, _ := r.delimiter(b, start); d >= 0 {
			r.unread(b)
			return
		}
		if start && (string(b) == "\r\n" || string(b) == "\n") {
			headerEnd = len(r.out)
			blank = []byte(string(b))
			r.emit(b)
			break
		}
		r.emit(b)
	}
	if r.truncated {
		return
	}
	h := parsePartHeader(r.out[start:headerEnd], defaultType)
	switch {
	case strings.HasPrefix(h.mediaType, "multipart/") && h.boundary != "" &&
		len(h.boundary) <= maxBoundary && depth < maxNesting:
		child := "text/plain"
		if h.mediaType == "multipart/digest" {
			child = "message/rfc822"
		}
		r.multipart(h.boundary, child, depth)
	case (h.mediaType == "message/rfc822" || h.mediaType == "message/global") &&
		identityEncoding(h.encoding) && depth < maxNesting:
		// A forwarded mail: its own headers and parts follow, and are reduced alike.
		r.entity("text/plain", depth+1)
	default:
		r.leaf(h, headerEnd, blank)
	}
}

// multipart copies the body of a multipart: preamble, parts, closing boundary and epilogue.
func (r *reducer) multipart(boundary, childType string, depth int) {
	r.bounds = append(r.bounds, boundary)
	me := len(r.bounds) - 1
	defer func() { r.bounds = r.bounds[:me] }()
	for {
		b, start, ok := r.line()
		if !ok {
			return
		}
		d, closing := r.delimiter(b, start)
		if d < 0 {
			r.emit(b) // preamble, or what an inner part left
			continue
		}
		if d != me {
			// An outer boundary ends this multipart even without its closing line.
			r.unread(b)
			return
		}
		r.emit(b)
		r.restOfLine(true) // of a boundary line longer than the read buffer
		if closing {
			break
		}
		r.entity(childType, depth+1)
	}
	// The epilogue runs to the next boundary of an outer multipart.
	for {
		b, start, ok := r.line()
		if !ok {
			return
		}
		if d, _ := r.delimiter(b, start); d >= 0 && d < me {
			r.unread(b)
			return
		}
		r.emit(b)
	}
}

// leaf copies the body of a part that is not a container. A body part is always copied;
// an attachment's body over MaxAttachment is drained and counted instead, and its
// headers get an X-Backupchecks-Skipped line.
func (r *reducer) leaf(h partHeader, headerEnd int, blank []byte) {
	skippable := !h.isBodyText()
	bodyStart := len(r.out)
	var size int64
	skipping, overflow := false, false
	for {
		b, start, ok := r.line()
		if !ok {
			break
		}
		if d, _ := r.delimiter(b, start); d >= 0 {
			r.unread(b)
			break
		}
		size += int64(len(b))
		switch {
		case !skippable:
			r.emit(b)
			if r.truncated {
				return
			}
		case skipping:
		case size > r.lim.MaxAttachment:
			skipping = true
			r.out = r.out[:bodyStart]
		case overflow:
			// Past MaxMessage: whether this part is cut or skipped is known only at its end.
		case int64(len(r.out))+int64(len(b)) > r.lim.MaxMessage:
			overflow = true
		default:
			r.appendOut(b)
		}
	}
	if r.err != nil {
		return
	}
	switch {
	case skipping:
		// Recorded even if the header below does not fit: the body is gone either way.
		r.skipped = append(r.skipped, SkippedPart{Filename: h.filename, ContentType: h.contentType(), Size: size})
		r.out = r.out[:headerEnd]
		eol := string(blank)
		r.emit([]byte(fmt.Sprintf("%s: %d bytes over the attachment limit%s", SkippedHeader, size, eol)))
		// An empty body: the blank line ends the headers, the next line ending belongs
		// to the boundary that follows.
		r.emit([]byte(eol + eol))
	case overflow:
		r.truncate()
	}
}

// partHeader is what Reduce needs to know of a part's headers.
type partHeader struct {
	mediaType   string // lower case, "" if unparseable
	boundary    string
	disposition string
	filename    string
	encoding    string
}

// isBodyText reports whether the part is a text or HTML body, which Reduce never leaves out.
func (h partHeader) isBodyText() bool {
	return (h.mediaType == "text/plain" || h.mediaType == "text/html") && h.disposition != "attachment"
}

func (h partHeader) contentType() string {
	if h.mediaType == "" {
		return "application/octet-stream"
	}
	return h.mediaType
}

func identityEncoding(cte string) bool {
	switch cte {
	case "", "7bit", "8bit", "binary":
		return true
	}
	return false
}

// parsePartHeader reads Content-Type, Content-Disposition and Content-Transfer-Encoding
// from a raw header block. It is lenient like enmime (whose media type parser it uses),
// so that both see the same structure: a line it cannot read is ignored.
func parsePartHeader(block []byte, defaultType string) partHeader {
	var ctype, disp, cte string
	var haveType, haveDisp, haveCTE bool
	var key string
	var val strings.Builder
	flush := func() {
		switch textproto.CanonicalMIMEHeaderKey(key) {
		case "Content-Type":
			if !haveType {
				ctype, haveType = val.String(), true
			}
		case "Content-Disposition":
			if !haveDisp {
				disp, haveDisp = val.String(), true
			}
		case "Content-Transfer-Encoding":
			if !haveCTE {
				cte, haveCTE = val.String(), true
			}
		}
		key = ""
		val.Reset()
	}
	for line := range bytes.Lines(block) {
		line = bytes.TrimRight(line, "\r\n")
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if key != "" {
				val.WriteByte(' ')
				val.Write(bytes.TrimSpace(line))
			}
			continue
		}
		flush()
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		key = string(bytes.TrimSpace(k))
		val.Write(bytes.TrimSpace(v))
	}
	flush()

	var h partHeader
	h.encoding = strings.ToLower(strings.TrimSpace(cte))
	if strings.TrimSpace(ctype) == "" {
		ctype = defaultType
	}
	mt, params, _, err := mediatype.Parse(ctype)
	if err == nil {
		h.mediaType = strings.ToLower(mt)
		h.boundary = params["boundary"]
	}
	if d, dparams, _, err := mediatype.Parse(disp); err == nil {
		h.disposition = strings.ToLower(d)
		h.filename = decodeWords(dparams["filename"])
	}
	if h.filename == "" && params != nil {
		h.filename = decodeWords(params["name"])
	}
	return h
}

// wordDecoder decodes RFC 2047 encoded words in any charset golang.org/x/text knows.
var wordDecoder = &mime.WordDecoder{
	CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
		enc, err := htmlindex.Get(charset)
		if err != nil {
			return nil, err
		}
		return enc.NewDecoder().Reader(input), nil
	},
}

// decodeWords decodes RFC 2047 encoded words; on failure the text is kept as it is.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}
