package imap

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/textproto"
	"slices"
	"strings"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/backupchecks/backupchecks/app/mail"
)

// Fetch returns up to limit messages waiting in the folder, oldest (lowest UID) first.
// Bodies are fetched with BODY.PEEK[], so fetching never sets \Seen, and each is
// streamed through mail.Reduce, so a large mail is never held whole in memory.
func (s *Source) Fetch(ctx context.Context, limit int) ([]mail.Message, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("imap: fetch: limit %d: must be positive", limit)
	}
	sess, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	msgs, err := s.fetch(sess, limit)
	if err != nil {
		sess.abort()
		return nil, err
	}
	sess.close()
	return msgs, nil
}

func (s *Source) fetch(sess *session, limit int) ([]mail.Message, error) {
	folder := s.cfg.Folder
	sel, err := sess.selectFolder(folder, true)
	if err != nil {
		return nil, err
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}

	uids, err := sess.waiting(folder, s.flagging())
	if err != nil {
		return nil, err
	}
	if len(uids) > limit {
		uids = uids[:limit]
	}
	if len(uids) == 0 {
		return nil, nil
	}

	cmd := sess.c.Fetch(goimap.UIDSetNum(uids...), &goimap.FetchOptions{
		UID:          true,
		InternalDate: true,
		RFC822Size:   true,
		BodySection:  []*goimap.FetchItemBodySection{{Peek: true}},
	})
	var msgs []fetched
	for {
		data := cmd.Next()
		if data == nil {
			break
		}
		m, err := s.readMessage(sess.ctx, data)
		if err != nil {
			return nil, fmt.Errorf("imap: fetch from %q: %w", folder, sess.cause(err))
		}
		if m.uid != 0 && m.hasBody {
			msgs = append(msgs, m)
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("imap: fetch from %q: %w", folder, sess.cause(err))
	}

	// Servers may answer in any order; the contract is oldest first.
	slices.SortFunc(msgs, func(a, b fetched) int { return cmp.Compare(a.uid, b.uid) })
	out := make([]mail.Message, 0, len(msgs))
	for _, m := range msgs {
		id := sourceID(folder, sel.UIDValidity, uint32(m.uid))
		s.remember(id, m.messageID)
		m.msg.SourceID = id
		out = append(out, m.msg)
	}
	return out, nil
}

func (s *Source) flagging() bool { return s.cfg.ProcessedFolder == "" }

// waiting returns the UIDs of the messages still to import in the selected folder,
// ascending: all of them, or those without ImportedKeyword when flagging.
func (sess *session) waiting(folder string, flagging bool) ([]goimap.UID, error) {
	var criteria goimap.SearchCriteria
	if flagging {
		criteria.NotFlag = []goimap.Flag{ImportedKeyword}
	}
	data, err := sess.c.UIDSearch(&criteria, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("imap: search %q: %w", folder, sess.cause(err))
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	return uids, nil
}

type fetched struct {
	uid       goimap.UID
	hasBody   bool
	messageID string
	msg       mail.Message
}

// readMessage consumes one FETCH response; items may come in any order, and the body
// literal must be read while it is on the wire.
func (s *Source) readMessage(ctx context.Context, data *imapclient.FetchMessageData) (fetched, error) {
	var m fetched
	var size int64
	for {
		item := data.Next()
		if item == nil {
			break
		}
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			m.uid = item.UID
		case imapclient.FetchItemDataInternalDate:
			m.msg.ReceivedAt = item.Time.UTC()
		case imapclient.FetchItemDataRFC822Size:
			size = item.Size
		case imapclient.FetchItemDataBodySection:
			// NIL instead of the message is stored as an empty mail and moved like any
			// other, so that it cannot sit in the folder for ever.
			m.hasBody = true
			if item.Literal == nil {
				continue
			}
			red, err := mail.Reduce(item.Literal, s.cfg.Limits)
			if err != nil {
				return m, fmt.Errorf("read message body: %w", err)
			}
			m.msg.Raw, m.msg.Size, m.msg.Skipped, m.msg.Truncated = red.Raw, red.Size, red.Skipped, red.Truncated
			if red.Truncated {
				slog.WarnContext(ctx, "imap: message over the size limit; stored cut off and unparsed", "folder", s.cfg.Folder, "uid", m.uid, "size", red.Size)
			}
			m.messageID = messageID(red.Raw)
		}
	}
	// RFC822.SIZE is the server's own figure and stays the same on every fetch,
	// which the Message-ID + size dedup relies on.
	if size > 0 {
		m.msg.Size = size
	}
	return m, nil
}

// messageID reads the Message-ID header; "" when it is missing. A malformed header
// still yields the fields read before the damage.
func messageID(raw []byte) string {
	h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	return strings.TrimSpace(h.Get("Message-Id"))
}
