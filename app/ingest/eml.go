package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	bcmail "github.com/backupchecks/backupchecks/app/mail"
)

// TooLargeError refuses an uploaded or CLI-imported file over the size limit: unlike a
// mailbox, which must be emptied, a file can be refused, so that no stored mail is cut.
type TooLargeError struct {
	Limit int64 // bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("larger than the %s limit per mail", bcmail.FormatSize(e.Limit))
}

// ErrNotMail refuses an uploaded or CLI-imported file that is not a mail at all (a PDF,
// a note): it does not begin with a mail's header. A mailbox's messages are never
// refused: a mailbox must be emptied, and what it holds is a mail however broken.
var ErrNotMail = errors.New("not a mail: it does not begin with a mail's header (From:, Subject:, Date: …); save the report from the mail program as an .eml file, headers and body")

// ReadEML reads one .eml file (an upload or a CLI import) through the reducer as it
// streams in, hashing it on the way for its source id (ContentSourceID). A file larger
// than lim.MaxMessage is refused with a *TooLargeError, after reading at most one byte
// more than the limit; a file that is no mail at all with ErrNotMail. An empty file is
// a Message with no content, stored as such, and so is a mail that is merely broken.
func ReadEML(r io.Reader, lim bcmail.Limits) (bcmail.Message, error) {
	lim = lim.OrDefault()
	h := sha256.New()
	red, err := bcmail.Reduce(io.TeeReader(io.LimitReader(r, lim.MaxMessage+1), h), lim)
	if err != nil {
		return bcmail.Message{}, err
	}
	if red.Size > lim.MaxMessage || red.Truncated {
		return bcmail.Message{}, &TooLargeError{Limit: lim.MaxMessage}
	}
	if !looksLikeMail(red.Raw) {
		return bcmail.Message{}, ErrNotMail
	}
	return bcmail.Message{SourceID: "sha256:" + hex.EncodeToString(h.Sum(nil)), Raw: red.Raw, Size: red.Size,
		Skipped: red.Skipped}, nil
}

// mailHeaderNames are header fields of which one, among the lines a file begins with,
// makes it a mail (compare mail.Decode, which stores such a file however broken).
var mailHeaderNames = map[string]bool{
	"from": true, "to": true, "cc": true, "subject": true, "date": true, "message-id": true, "mime-version": true,
	"content-type": true, "received": true, "return-path": true, "reply-to": true, "sender": true,
	"delivered-to": true, "x-mailer": true, "dkim-signature": true, "authentication-results": true,
}

// looksLikeMail reports whether raw begins with a mail's header: before its first line
// that is not a header field (name, colon, value; or a folded continuation), at least
// one field is a mail's. Blank input is a mail without content (stored as such);
// leading blank lines and an mbox "From " line are skipped.
func looksLikeMail(raw []byte) bool {
	head := raw[:min(len(raw), 64<<10)]
	if len(bytes.TrimSpace(head)) == 0 {
		return true
	}
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(head, []byte("\ufeff"))))
	sc.Buffer(make([]byte, 0, 4096), len(head)+1)
	started := false
	for lines := 0; sc.Scan() && lines < 500; lines++ {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case !started && strings.TrimSpace(line) == "":
			continue
		case !started && strings.HasPrefix(line, "From "):
			started = true
			continue
		case strings.TrimSpace(line) == "":
			return false // the end of the header, without a mail's field
		case started && (line[0] == ' ' || line[0] == '\t'):
			continue
		}
		started = true
		name, _, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return false
		}
		if mailHeaderNames[strings.ToLower(name)] {
			return true
		}
	}
	return false
}
