package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

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

// ReadEML reads one .eml file (an upload or a CLI import) through the reducer as it
// streams in, hashing it on the way for its source id (ContentSourceID). A file larger
// than lim.MaxMessage is refused with a *TooLargeError, after reading at most one byte
// more than the limit. An empty file is a Message with no content, stored as such.
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
	return bcmail.Message{SourceID: "sha256:" + hex.EncodeToString(h.Sum(nil)), Raw: red.Raw, Size: red.Size,
		Skipped: red.Skipped}, nil
}
