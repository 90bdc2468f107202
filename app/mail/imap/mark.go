package imap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	goimap "github.com/emersion/go-imap/v2"
)

// MarkProcessed moves the messages to the processed folder, or flags them with
// ImportedKeyword and \Seen when there is none. Messages that are gone count as
// processed. Every id is tried; the failures come back joined, one per id.
//
// Moving uses MOVE when the server has it; otherwise imapclient falls back to COPY,
// STORE \Deleted and UID EXPUNGE, or plain EXPUNGE without UIDPLUS, which also
// expunges anything else already marked \Deleted in the folder.
func (s *Source) MarkProcessed(ctx context.Context, ids []string) error {
	var errs []error
	byFolder := make(map[string][]markID)
	for _, id := range ids {
		folder, uidValidity, uid, err := parseSourceID(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		byFolder[folder] = append(byFolder[folder], markID{id, uidValidity, goimap.UID(uid)})
	}
	if len(byFolder) == 0 {
		return errors.Join(errs...)
	}

	sess, err := s.open(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	defer sess.close()

	for _, folder := range slices.Sorted(maps.Keys(byFolder)) {
		errs = append(errs, s.markFolder(sess, folder, byFolder[folder])...)
	}
	return errors.Join(errs...)
}

type markID struct {
	id          string
	uidValidity uint32
	uid         goimap.UID
}

// markFolder handles the ids of one folder with a single move or store.
func (s *Source) markFolder(sess *session, folder string, ids []markID) []error {
	failAll := func(ids []markID, err error) []error {
		errs := make([]error, len(ids))
		for i, m := range ids {
			errs[i] = fmt.Errorf("%w (message %s)", err, m.id)
		}
		return errs
	}

	sel, err := sess.selectFolder(folder, false)
	if err != nil {
		return failAll(ids, err)
	}
	if s.flagging() && !allowsKeyword(sel.PermanentFlags) {
		return failAll(ids, fmt.Errorf("imap: folder %q does not accept the keyword %s; set a processed folder instead", folder, ImportedKeyword))
	}

	var (
		errs    []error
		uids    goimap.UIDSet
		batch   []markID // ids whose message is in uids
		settled []string // ids that need nothing more
	)
	for _, m := range ids {
		if m.uidValidity == sel.UIDValidity {
			uids.AddNum(m.uid)
			batch = append(batch, m)
			continue
		}
		// The UID is meaningless under the new UIDVALIDITY: find the message by its
		// Message-ID. Without one, the next Fetch brings it back under its new id
		// and the database dedup catches it.
		mid := s.rememberedMessageID(m.id)
		if mid == "" {
			settled = append(settled, m.id)
			continue
		}
		found, err := sess.c.UIDSearch(&goimap.SearchCriteria{
			Header: []goimap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: mid}},
		}, nil).Wait()
		if err != nil {
			errs = append(errs, fmt.Errorf("imap: search %q for Message-ID %s: %w (message %s)", folder, mid, sess.cause(err), m.id))
			continue
		}
		if len(found.AllUIDs()) == 0 {
			settled = append(settled, m.id)
			continue
		}
		uids.AddNum(found.AllUIDs()...)
		batch = append(batch, m)
	}
	s.forget(settled)
	if len(batch) == 0 {
		return errs
	}

	// Only act on the messages still there: some servers (go-imap's own among them)
	// answer a COPY or MOVE that matches nothing with an error or a malformed COPYUID.
	present, err := sess.c.UIDSearch(&goimap.SearchCriteria{UID: []goimap.UIDSet{uids}}, nil).Wait()
	if err != nil {
		return append(errs, failAll(batch, fmt.Errorf("imap: search %q: %w", folder, sess.cause(err)))...)
	}
	if found := present.AllUIDs(); len(found) > 0 {
		if err := s.apply(sess, folder, goimap.UIDSetNum(found...)); err != nil {
			return append(errs, failAll(batch, err)...)
		}
	}
	done := make([]string, len(batch))
	for i, m := range batch {
		done[i] = m.id
	}
	s.forget(done)
	return errs
}

// apply moves or flags uids in the selected folder.
func (s *Source) apply(sess *session, folder string, uids goimap.UIDSet) error {
	if s.flagging() {
		err := sess.c.Store(uids, &goimap.StoreFlags{
			Op:     goimap.StoreFlagsAdd,
			Silent: true,
			Flags:  []goimap.Flag{ImportedKeyword, goimap.FlagSeen},
		}, nil).Close()
		if err != nil {
			return fmt.Errorf("imap: flag messages in %q: %w", folder, sess.cause(err))
		}
		return nil
	}
	if _, err := sess.c.Move(uids, s.cfg.ProcessedFolder).Wait(); err != nil {
		return fmt.Errorf("imap: move from %q to %q: %w", folder, s.cfg.ProcessedFolder, sess.cause(err))
	}
	return nil
}

// allowsKeyword reports whether the folder's PERMANENTFLAGS let us store
// ImportedKeyword; an absent list (old servers) is taken as yes.
func allowsKeyword(permanent []goimap.Flag) bool {
	if len(permanent) == 0 {
		return true
	}
	for _, f := range permanent {
		if f == goimap.FlagWildcard || strings.EqualFold(string(f), ImportedKeyword) {
			return true
		}
	}
	return false
}
