package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	inboxview "github.com/backupchecks/backupchecks/components/inbox"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

// Upload limits, said in the upload box. A file over mail.DefaultLimits.MaxMessage is
// refused by name; the other files of the upload are imported.
const (
	maxUploadFiles = 500
	maxUploadBody  = 256 << 20 // the whole request
	// uploadSlots bounds how many uploads are decoded and stored at once: each holds up
	// to a batch of mail in memory while it is decoded.
	uploadSlots = 2
	uploadWait  = 30 * time.Second
	// uploadBatchBytes is how much reduced mail an upload holds before storing it (one
	// file over it is stored alone).
	uploadBatchBytes = 16 << 20
)

// uploadLimits is what the upload box tells the user.
func uploadLimits() inboxview.UploadLimits {
	return inboxview.UploadLimits{MaxFiles: maxUploadFiles, MaxFileBytes: mail.DefaultLimits.MaxMessage, MaxTotalBytes: maxUploadBody}
}

// mailUpload imports dropped or chosen .eml files through the same pipeline as a
// mailbox. The form's files are spooled to disk as the request streams in; each is then
// read through the reducer, a few uploads at a time. One bad file never fails the
// others: an empty or broken mail is stored unparsed, a file over the limit or one that
// is no mail at all (no mail header: a PDF, a note) is refused by name.
func (a *App) mailUpload(c *fiber.Ctx) error {
	form, err := c.MultipartForm()
	if err != nil {
		return a.uploadRefused(c, fiber.StatusUnprocessableEntity,
			fmt.Sprintf("The upload could not be read (%v). Choose one or more .eml files, at most %d at a time.", err, maxUploadFiles))
	}
	files := form.File["files"]
	if len(files) == 0 {
		return a.uploadRefused(c, fiber.StatusUnprocessableEntity, "Choose one or more .eml files to upload.")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), a.uploadWait)
	select {
	case a.uploadSlots <- struct{}{}:
		cancel()
	case <-ctx.Done():
		cancel()
		c.Set(fiber.HeaderRetryAfter, "30")
		return a.uploadRefused(c, fiber.StatusServiceUnavailable, "The server is busy importing other uploads. Nothing was imported; try again in a minute.")
	}
	defer func() { <-a.uploadSlots }()

	var stored []ingest.Stored
	var refused []string
	var batch []mail.Message
	var batchSize int
	store := func() error {
		s, err := ingest.StoreBatch(c.UserContext(), a.db.Bun, a.registry, db.SourceUpload, batch, a.now())
		stored = append(stored, s...)
		batch, batchSize = nil, 0
		return err
	}
	for i, fh := range files {
		if i == maxUploadFiles {
			refused = append(refused, fmt.Sprintf("%s: at most %d files per upload", ui.Count(len(files)-i, "more file", "more files"), maxUploadFiles))
			break
		}
		m, err := uploadedMessage(fh, mail.DefaultLimits)
		if err != nil {
			refused = append(refused, fmt.Sprintf("%s: %v", fh.Filename, err))
			continue
		}
		if len(batch) > 0 && batchSize+len(m.Raw) > uploadBatchBytes {
			if err := store(); err != nil {
				return err
			}
		}
		batch, batchSize = append(batch, m), batchSize+len(m.Raw)
	}
	if len(batch) > 0 {
		if err := store(); err != nil {
			return err
		}
	}
	l, err := a.inboxList(c, db.LocationInbox, 1)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, inboxview.ListFragment(a.view(c), l), uploadSummary(stored, refused))
}

// uploadRefused answers an upload that imported nothing: the list as it is, and why.
func (a *App) uploadRefused(c *fiber.Ctx, status int, msg string) error {
	l, err := a.inboxList(c, db.LocationInbox, 1)
	if err != nil {
		return err
	}
	return a.renderFragment(c, status, inboxview.ListFragment(a.view(c), l), view.Flash{Kind: "danger", Message: msg})
}

// uploadedMessage reads one uploaded file into a Message (mail.ReadFile). A file over
// lim.MaxMessage is refused, with its size and the limit, rather than stored cut off.
func uploadedMessage(fh *multipart.FileHeader, lim mail.Limits) (mail.Message, error) {
	m, err := mail.ReadFile(func() (io.ReadCloser, error) { return fh.Open() }, fh.Size, lim)
	var tl *mail.TooLargeError
	switch {
	case errors.As(err, &tl):
		return mail.Message{}, fmt.Errorf("%s, larger than the %s limit per file; not imported", mail.FormatSize(fh.Size), mail.FormatSize(tl.Limit))
	case errors.Is(err, mail.ErrNotMailFile):
		return mail.Message{}, err
	case err != nil:
		return mail.Message{}, fmt.Errorf("cannot be read: %w", err)
	}
	return m, nil
}

// uploadSummary is the flash after an upload: what became of the files, and which
// were refused and why.
func uploadSummary(stored []ingest.Stored, refused []string) view.Flash {
	var t ingest.Tally
	t.Add(stored)
	msg := ui.Count(t.Total(), "file", "files") + " uploaded: " +
		ui.Count(t.Runs, "became a run of a known job", "became runs of known jobs") + ", " +
		ui.Count(t.Inbox, "waits in the Inbox", "wait in the Inbox")
	if t.Unparsed > 0 {
		msg += fmt.Sprintf(" (%d unparsed)", t.Unparsed)
	}
	if t.Accounts > 0 {
		msg += ", " + ui.Count(t.Accounts, "was a Cloud Connect report (its accounts are under Cloud Connect)", "were Cloud Connect reports (their accounts are under Cloud Connect)")
	}
	if t.Copies > 0 {
		msg += ", " + ui.Count(t.Copies, "was a copy of a report already imported (e.g. forwarded) and became no second run",
			"were copies of reports already imported (e.g. forwarded) and became no second run")
	}
	if t.Duplicates > 0 {
		msg += ", " + ui.Count(t.Duplicates, "was already imported", "were already imported")
	}
	msg += "."
	switch {
	case len(refused) == 0:
		return view.Flash{Kind: "success", Message: msg}
	case len(stored) == 0:
		return view.Flash{Kind: "danger", Message: "Nothing was imported. " + strings.Join(refused, ". ") + "."}
	}
	return view.Flash{Kind: "warning", Message: msg + " Not imported: " + strings.Join(refused, ". ") + "."}
}
