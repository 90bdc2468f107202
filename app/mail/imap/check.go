package imap

import (
	"context"
	"fmt"
	"slices"
	"strings"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/backupchecks/backupchecks/app/mail"
)

// Check connects, logs in and reports the folders, how many messages wait in the
// source folder and where processed mail goes, changing nothing. When a folder is
// missing the error says which folders exist, and the result still holds what was
// found (Folders, ServerDetails) for the settings page to show.
func (s *Source) Check(ctx context.Context) (mail.CheckResult, error) {
	res := mail.CheckResult{SourceFolder: s.cfg.Folder, ProcessedInto: s.cfg.ProcessedFolder}
	if s.flagging() {
		res.ProcessedInto = "flagged"
	}

	sess, err := s.open(ctx)
	if err != nil {
		return res, err
	}
	defer sess.close()
	res.ServerDetails = sess.serverDetails()

	if res.Folders, err = sess.folders(); err != nil {
		return res, err
	}
	has := func(folder string) bool {
		return slices.ContainsFunc(res.Folders, func(n string) bool { return sameFolder(n, folder) })
	}
	if !has(s.cfg.Folder) {
		return res, fmt.Errorf("imap: folder %q: %w; the mailbox has: %s", s.cfg.Folder, ErrFolderNotFound, strings.Join(res.Folders, ", "))
	}
	if !s.flagging() && !has(s.cfg.ProcessedFolder) {
		return res, fmt.Errorf("imap: processed folder %q: %w; create it or pick one of: %s", s.cfg.ProcessedFolder, ErrFolderNotFound, strings.Join(res.Folders, ", "))
	}

	if s.flagging() {
		// Only unflagged messages wait; counting them needs a (read-only) search.
		if _, err := sess.selectFolder(s.cfg.Folder, true); err != nil {
			return res, err
		}
		uids, err := sess.waiting(s.cfg.Folder, true)
		if err != nil {
			return res, err
		}
		res.Waiting = len(uids)
		return res, nil
	}
	st, err := sess.c.Status(s.cfg.Folder, &goimap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return res, fmt.Errorf("imap: status %q: %w", s.cfg.Folder, sess.cause(err))
	}
	if st.NumMessages != nil {
		res.Waiting = int(*st.NumMessages)
	}
	return res, nil
}
