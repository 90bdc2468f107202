// Package imap imports report mail from a folder of an IMAP mailbox (TLS, STARTTLS, or
// plain to a loopback bridge), with emersion/go-imap/v2.
//
// Every call opens its own connection, logs in, works and logs out: imports are
// periodic, and a long-lived connection would add reconnect and IDLE failure modes for
// no gain.
//
// A message's SourceID is "<folder>/<UIDVALIDITY>/<UID>". When the folder's UIDVALIDITY
// changes (the server rebuilt or the folder was recreated), old ids are stale:
// MarkProcessed then looks the message up again by its Message-ID header, using what
// this Source saw in Fetch; a stale id it cannot resolve is skipped as already
// processed. That is safe because the next Fetch returns the message under its new
// id and the database recognises it as a duplicate (Message-ID + size), after which
// the importer marks it processed under the new id, as it does every duplicate.
// Duplicates across a UIDVALIDITY change are therefore always stopped by the
// database, not by this package.
package imap

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backupchecks/backupchecks/app/mail"
)

// Security modes of Config.Security.
const (
	SecurityTLS      = "tls"      // implicit TLS, port 993
	SecurityStartTLS = "starttls" // plain connect then STARTTLS, port 143
	SecurityNone     = "none"     // no encryption; loopback hosts only
)

// ImportedKeyword flags processed messages when no processed folder is configured.
const ImportedKeyword = "$BackupchecksImported"

// DefaultTimeout bounds dialing and each wait for the server when Config.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// Errors an admin needs told apart; test with errors.Is.
var (
	ErrLoginFailed          = errors.New("login failed")
	ErrFolderNotFound       = errors.New("folder not found")
	ErrCertificateUntrusted = errors.New("the server's TLS certificate is not trusted")
)

// Config is how to reach the mailbox and what to do with processed mail.
type Config struct {
	Host     string
	Port     int    // 0: 993 for "tls", 143 for "starttls" and "none"
	Security string // "tls" (default), "starttls" or "none" (loopback hosts only)
	Username string
	Password string
	Folder   string // read from; default "INBOX"
	// ProcessedFolder receives processed messages (MOVE, or COPY + delete). If empty,
	// processed messages stay and are flagged with ImportedKeyword and \Seen.
	ProcessedFolder string
	TLSConfig       *tls.Config   // optional, e.g. RootCAs for a private CA
	Timeout         time.Duration // dial and per-read/write timeout; default 30s
	Limits          mail.Limits   // zero fields take mail.DefaultLimits
}

// Source is an IMAP folder that mail is imported from. It is safe for concurrent use,
// although the import runs one call at a time per mailbox.
type Source struct {
	cfg Config

	mu sync.Mutex
	// messageIDs maps the SourceID of each fetched, not yet processed message to its
	// Message-ID, so MarkProcessed can find it again after a UIDVALIDITY change.
	messageIDs map[string]string

	forcePlainAuth bool // tests: take the AUTHENTICATE PLAIN path where LOGIN works
}

var _ mail.Source = (*Source)(nil)

// maxRemembered bounds messageIDs; past it the map is reset, which only costs the
// dedup round trip described in the package comment.
const maxRemembered = 10000

// New validates cfg, fills in its defaults and returns the Source.
func New(cfg Config) (*Source, error) {
	cfg.Host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(cfg.Host), "["), "]")
	cfg.Security = strings.ToLower(strings.TrimSpace(cfg.Security))
	cfg.Folder = strings.TrimSpace(cfg.Folder)
	cfg.ProcessedFolder = strings.TrimSpace(cfg.ProcessedFolder)

	switch {
	case cfg.Host == "":
		return nil, errors.New("imap: host is required")
	case strings.ContainsAny(cfg.Host, "/ \t"):
		return nil, fmt.Errorf("imap: host %q: give only the host name, without scheme or path", cfg.Host)
	}
	if _, _, err := net.SplitHostPort(cfg.Host); err == nil {
		return nil, fmt.Errorf("imap: host %q: give the port in the port field, not in the host", cfg.Host)
	}

	switch cfg.Security {
	case "":
		cfg.Security = SecurityTLS
	case SecurityTLS, SecurityStartTLS:
	case SecurityNone:
		if !isLoopback(cfg.Host) {
			return nil, fmt.Errorf("imap: security \"none\" sends the password unencrypted and is only allowed to a loopback address (127.0.0.1, ::1, localhost), not to %q; use \"tls\" or \"starttls\"", cfg.Host)
		}
	default:
		return nil, fmt.Errorf("imap: security %q: must be \"tls\", \"starttls\" or \"none\"", cfg.Security)
	}

	switch {
	case cfg.Port == 0 && cfg.Security == SecurityTLS:
		cfg.Port = 993
	case cfg.Port == 0:
		cfg.Port = 143
	case cfg.Port < 0 || cfg.Port > 65535:
		return nil, fmt.Errorf("imap: port %d: must be between 1 and 65535", cfg.Port)
	}

	if cfg.Username == "" {
		return nil, errors.New("imap: username is required")
	}
	if cfg.Password == "" {
		return nil, errors.New("imap: password is required")
	}

	if cfg.Folder == "" {
		cfg.Folder = "INBOX"
	}
	if cfg.ProcessedFolder != "" && sameFolder(cfg.ProcessedFolder, cfg.Folder) {
		return nil, fmt.Errorf("imap: processed folder %q is the folder imported from; choose another folder or leave it empty to flag processed mail", cfg.ProcessedFolder)
	}

	switch {
	case cfg.Timeout == 0:
		cfg.Timeout = DefaultTimeout
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("imap: timeout %s: must be positive", cfg.Timeout)
	}

	if cfg.Limits.MaxMessage <= 0 {
		cfg.Limits.MaxMessage = mail.DefaultLimits.MaxMessage
	}
	if cfg.Limits.MaxAttachment <= 0 {
		cfg.Limits.MaxAttachment = mail.DefaultLimits.MaxAttachment
	}

	return &Source{cfg: cfg, messageIDs: make(map[string]string)}, nil
}

// Name is the source's kind as stored in mail_messages.source.
func (s *Source) Name() string { return "imap" }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameFolder compares folder names; only INBOX is case-insensitive (RFC 3501 5.1).
func sameFolder(a, b string) bool {
	if strings.EqualFold(a, "INBOX") {
		return strings.EqualFold(b, "INBOX")
	}
	return a == b
}

// sourceID is "<folder>/<UIDVALIDITY>/<UID>".
func sourceID(folder string, uidValidity, uid uint32) string {
	return folder + "/" + strconv.FormatUint(uint64(uidValidity), 10) + "/" + strconv.FormatUint(uint64(uid), 10)
}

// parseSourceID splits an id from the right, since folder names may contain "/".
func parseSourceID(id string) (folder string, uidValidity, uid uint32, err error) {
	i := strings.LastIndexByte(id, '/')
	if i <= 0 {
		return "", 0, 0, fmt.Errorf("imap: source id %q: want <folder>/<uidvalidity>/<uid>", id)
	}
	j := strings.LastIndexByte(id[:i], '/')
	if j <= 0 {
		return "", 0, 0, fmt.Errorf("imap: source id %q: want <folder>/<uidvalidity>/<uid>", id)
	}
	v, err1 := strconv.ParseUint(id[j+1:i], 10, 32)
	u, err2 := strconv.ParseUint(id[i+1:], 10, 32)
	if err1 != nil || err2 != nil || v == 0 || u == 0 {
		return "", 0, 0, fmt.Errorf("imap: source id %q: want <folder>/<uidvalidity>/<uid>", id)
	}
	return id[:j], uint32(v), uint32(u), nil
}

func (s *Source) remember(id, messageID string) {
	if messageID == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.messageIDs) >= maxRemembered {
		clear(s.messageIDs)
	}
	s.messageIDs[id] = messageID
}

func (s *Source) rememberedMessageID(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messageIDs[id]
}

func (s *Source) forget(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.messageIDs, id)
	}
}
