package mail

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ContentSourceID is the source id of an uploaded or CLI-imported file: its SHA-256, so
// the same file is stored once however often it is uploaded.
func ContentSourceID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TooLargeError refuses an uploaded or CLI-imported file over the size limit: unlike a
// mailbox, which must be emptied, a file can be refused, so that no stored mail is cut.
type TooLargeError struct {
	Size  int64 // the file's size as its holder told it; 0 if unknown
	Limit int64 // bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("larger than the %s limit per mail", FormatSize(e.Limit))
}

// ErrNotMailFile refuses an uploaded or CLI-imported file that is not a mail at all (a
// PDF, a note): it does not begin with a mail's header. A mailbox's messages are never
// refused: a mailbox must be emptied, and what it holds is a mail however broken.
var ErrNotMailFile = errors.New("not a mail: it does not begin with a mail's header (From:, Subject:, Date: …); save the report from the mail program as an .eml file, headers and body")

// ReadFile reads one .eml file — an upload or a CLI import — into a Message, through
// the reducer as it streams in, hashing it on the way for its source id
// (ContentSourceID). size is the file's size as its holder tells it (0 if unknown): a
// file over lim.MaxMessage is refused with a *TooLargeError before open is called, or
// else after reading at most one byte more than the limit. A file that is no mail at
// all is refused with ErrNotMailFile. An empty file is a Message with no content,
// stored as such, and so is a mail that is merely broken. Other errors are open's or
// the read's, as they are.
func ReadFile(open func() (io.ReadCloser, error), size int64, lim Limits) (Message, error) {
	lim = lim.OrDefault()
	if size > lim.MaxMessage {
		return Message{}, &TooLargeError{Size: size, Limit: lim.MaxMessage}
	}
	f, err := open()
	if err != nil {
		return Message{}, err
	}
	defer f.Close()
	h := sha256.New()
	red, err := Reduce(io.TeeReader(io.LimitReader(f, lim.MaxMessage+1), h), lim)
	if err != nil {
		return Message{}, err
	}
	if red.Size > lim.MaxMessage || red.Truncated {
		return Message{}, &TooLargeError{Size: size, Limit: lim.MaxMessage}
	}
	if !looksLikeMail(red.Raw) {
		return Message{}, ErrNotMailFile
	}
	return Message{SourceID: "sha256:" + hex.EncodeToString(h.Sum(nil)), Raw: red.Raw, Size: red.Size,
		Skipped: red.Skipped}, nil
}

// mailHeaderNames are header fields of which one, among the lines a file begins with,
// makes it a mail (compare Decode, which stores such a file however broken).
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
