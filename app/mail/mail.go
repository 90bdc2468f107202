// Package mail holds what every mail source shares: the Message a source hands over,
// the Source interface (Graph and IMAP in the packages below, built from the settings
// by mailbox), .eml files read into Messages (uploads, the CLI), size limits with the
// streaming reducer that enforces them, MIME decoding (enmime) and HTML sanitising for
// display. It knows no parser: app/ingest gives the parsers what they read of a
// Decoded mail.
package mail

import (
	"context"
	"fmt"
	"time"
)

// Message is one mail as a source hands it over: the (reduced) raw MIME and where it
// came from. Sources read the stream through Reduce, so Raw is bounded by Limits.
type Message struct {
	SourceID   string    // the mailbox's id for the message; the dedup key with the source name
	ReceivedAt time.Time // when the mailbox received it; zero means "use the Date header"
	Raw        []byte    // raw MIME, attachments over the limit left out
	Size       int64     // size at the source, before reduction
	Skipped    []SkippedPart
	// Truncated: Raw was cut off at Limits.MaxMessage. Such a mail is stored with what
	// is kept, saying so, and is not parsed: a report read in part could show the wrong
	// status.
	Truncated bool
}

// SkippedPart is an attachment left out of the stored MIME because it was too large.
type SkippedPart struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"` // bytes seen before giving up (at least the limit)
}

// CheckResult is what "Test connection" shows.
type CheckResult struct {
	Folders       []string // folder names found in the mailbox
	SourceFolder  string   // the folder imports read from, as resolved
	Waiting       int      // messages waiting there
	ProcessedInto string   // where processed mail goes (folder name, or "flagged")
	ServerDetails string   // e.g. the IMAP greeting or the Graph mailbox's display name
}

// Source is a mailbox that mail is imported from.
type Source interface {
	// Name is the source's kind as stored in mail_messages.source: "graph" or "imap".
	Name() string
	// Fetch returns up to limit messages waiting in the source folder, oldest first.
	Fetch(ctx context.Context, limit int) ([]Message, error)
	// MarkProcessed moves (or flags) the given messages so they are not fetched
	// again. It is called only after the messages are committed to the database.
	MarkProcessed(ctx context.Context, sourceIDs []string) error
	// Check connects and reports what it finds, without changing anything.
	Check(ctx context.Context) (CheckResult, error)
}

// FetchError is returned by Fetch, together with the messages it did download, when
// some messages could not be downloaded. They stay in the source folder, so the next
// import tries them again; one unreadable message never holds back the others.
type FetchError struct {
	Failed []MessageError
}

// MessageError is one message a source could not download.
type MessageError struct {
	SourceID string
	Err      error
}

func (e *FetchError) Error() string {
	if len(e.Failed) == 0 {
		return "no message failed"
	}
	msg := fmt.Sprintf("%d messages could not be downloaded and stay in the mailbox: %v", len(e.Failed), e.Failed[0].Err)
	if len(e.Failed) == 1 {
		msg = fmt.Sprintf("1 message could not be downloaded and stays in the mailbox: %v", e.Failed[0].Err)
	}
	if len(e.Failed) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(e.Failed)-1)
	}
	return msg
}

// Limits bound what one mail may cost.
type Limits struct {
	MaxMessage    int64 // bytes of raw MIME kept; the rest of a larger mail is cut off
	MaxAttachment int64 // a non-text part larger than this is left out and recorded
}

// DefaultLimits keep any mail under 32 MiB and drop single attachments over 10 MiB.
var DefaultLimits = Limits{MaxMessage: 32 << 20, MaxAttachment: 10 << 20}

// OrDefault returns l, or DefaultLimits where a limit is not set.
func (l Limits) OrDefault() Limits {
	if l.MaxMessage <= 0 {
		l.MaxMessage = DefaultLimits.MaxMessage
	}
	if l.MaxAttachment <= 0 {
		l.MaxAttachment = DefaultLimits.MaxAttachment
	}
	return l
}

// FormatSize writes a byte count for people: "32 MB", "1.5 MB", "12 KB", "0 bytes".
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
