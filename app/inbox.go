package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/app/validation"
	inboxview "github.com/backupchecks/backupchecks/components/inbox"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

const inboxPerPage = 50

func canWriteInbox(u *db.User) bool {
	return u.ActiveRole == db.RoleAdmin || u.ActiveRole == db.RoleOperator
}

func (a *App) inboxList(c *fiber.Ctx, location string, page int) (inboxview.List, error) {
	q := ""
	if location == db.LocationInbox {
		q = strings.TrimSpace(c.Query("q"))
	}
	p, err := inbox.Search(c.UserContext(), a.db.Bun, location, q, page, inboxPerPage)
	if err != nil {
		return inboxview.List{}, err
	}
	u := currentUser(c)
	l := inboxview.List{CanWrite: canWriteInbox(u), IsAdmin: u.ActiveRole == db.RoleAdmin, Query: q}
	base := "/inbox?"
	if q != "" {
		base += "q=" + url.QueryEscape(q) + "&"
	}
	if location == db.LocationDeleted {
		base = "/inbox/deleted?"
	}
	l.Pager = ui.Pager{Page: p.Page, PerPage: p.PerPage, Total: p.Total, BaseURL: base}
	for _, r := range p.Rows {
		l.Rows = append(l.Rows, inboxview.Row{ID: r.ID, From: r.From, Subject: r.Subject, ReceivedAt: r.ReceivedAt,
			Software: r.Software, Type: r.Type, JobName: r.JobName, Status: r.Status, Parser: r.Parser,
			Generic: r.Parser == "generic_subject_status", ParseError: r.ParseError, DeletedAt: r.DeletedAt})
	}
	return l, nil
}

func (a *App) inboxPage(c *fiber.Ctx) error {
	l, err := a.inboxList(c, db.LocationInbox, pageParam(c))
	if err != nil {
		return err
	}
	l.Upload = uploadLimits()
	if l.IsAdmin {
		if t, err := tasks.Latest(c.UserContext(), a.db.Bun, tasks.KindMailReparse); err != nil {
			return err
		} else if t != nil && t.FinishedAt == nil {
			l.Task = taskView(t)
		}
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return inboxview.Page(v, l) },
		inboxview.ListFragment(a.view(c), l))
}

func (a *App) deletedPage(c *fiber.Ctx) error {
	l, err := a.inboxList(c, db.LocationDeleted, pageParam(c))
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return inboxview.DeletedPage(v, l) },
		inboxview.DeletedTable(a.view(c), l))
}

func (a *App) mailParam(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fiber.ErrNotFound
	}
	return id, nil
}

// mailDetail builds the dialog's view model.
func (a *App) mailDetail(c *fiber.Ctx, id int64) (inboxview.Detail, error) {
	ctx := c.UserContext()
	d, err := inbox.Get(ctx, a.db.Bun, id)
	if err != nil {
		return inboxview.Detail{}, err
	}
	m := d.Mail
	out := inboxview.Detail{
		Row: inboxview.Row{ID: m.ID, From: deref(m.FromAddress), Subject: deref(m.Subject), ReceivedAt: m.ReceivedAt,
			Software: deref(m.ParsedBackupSoftware), Type: deref(m.ParsedBackupType), JobName: deref(m.ParsedJobName),
			Status: deref(m.ParsedStatus), Parser: deref(m.ParserName), ParseError: deref(m.ParseError)},
		MessageID: deref(m.MessageID), Source: m.Source, Size: m.Size, Location: m.Location,
		Host: deref(m.ParsedHost), Message: deref(m.ParsedMessage), StartedAt: m.ParsedStartedAt, EndedAt: m.ParsedEndedAt,
		CanWrite: canWriteInbox(currentUser(c)), Approvable: d.Approvable(), NeedsJobName: d.NeedsJobName(),
		TimeNote: deref(m.ParsedTimeNote),
	}
	for _, o := range d.Objects {
		out.Objects = append(out.Objects, inboxview.Object{Name: o.ObjectName, Type: o.ObjectType, Status: deref(o.Status), Error: deref(o.ErrorMessage)})
	}
	for _, s := range m.SkippedAttachments {
		if p, ok := s.(map[string]any); ok {
			out.Skipped = append(out.Skipped, fmt.Sprintf("%v (%v, %v bytes) was over the attachment limit", p["filename"], p["content_type"], p["size"]))
		}
	}
	if deref(m.HTMLBody) != "" {
		out.BodyURL = mailBodyURL(m.ID)
	} else {
		out.TextBody = deref(m.TextBody)
	}
	if d.ExistingJob != nil {
		cust, err := customers.Get(ctx, a.db.Bun, d.ExistingJob.CustomerID)
		if err != nil {
			return out, err
		}
		out.ExistingJob = cust.Name + " / " + d.ExistingJob.JobName
	}
	return out, nil
}

func (a *App) mailModal(c *fiber.Ctx) error {
	id, err := a.mailParam(c)
	if err != nil {
		return err
	}
	d, err := a.mailDetail(c, id)
	if err != nil {
		return err
	}
	f, err := a.approveForm(c, d, "", "")
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, inboxview.DetailModal(a.view(c), d, f))
}

func (a *App) mailEML(c *fiber.Ctx) error {
	id, err := a.mailParam(c)
	if err != nil {
		return err
	}
	raw, subject, err := inbox.Raw(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("mail-%d.eml", id)
	if s := fileSafe(subject); s != "" {
		name = fmt.Sprintf("%d-%s.eml", id, s)
	}
	c.Set(fiber.HeaderContentType, "message/rfc822")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	return c.Send(raw)
}

// mailCID serves an inline part of a stored mail for its sanitised body, from what was
// extracted at import. Mail is hostile: only a part whose bytes are a raster image is
// served as one; anything else (an SVG can hold script) is a download, and neither may
// run anything if opened directly.
func (a *App) mailCID(c *fiber.Ctx) error {
	id, err := a.mailParam(c)
	if err != nil {
		return err
	}
	cid, err := url.PathUnescape(c.Params("cid"))
	if err != nil {
		return fiber.ErrNotFound
	}
	p, err := inbox.InlinePart(c.UserContext(), a.db.Bun, id, cid)
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	if t := mail.RasterType(p.Data); t != "" && t == p.ContentType {
		c.Set(fiber.HeaderContentType, t)
		return c.Send(p.Data)
	}
	name := p.Filename
	if name == "" {
		name = "inline-part"
	}
	c.Set(fiber.HeaderContentType, db.InlineDownloadType)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	return c.Send(p.Data)
}

// customerTypeahead answers the approve form's customer field.
func (a *App) customerTypeahead(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("customer_name"))
	found, err := customers.Search(c.UserContext(), a.db.Bun, q, approveCustomers+1)
	if err != nil {
		return err
	}
	more := len(found) > approveCustomers
	if more {
		found = found[:approveCustomers]
	}
	opts := make([]inboxview.CustomerOption, len(found))
	for i, cu := range found {
		opts[i] = inboxview.CustomerOption{ID: cu.ID, Name: cu.Name}
	}
	return a.renderFragment(c, fiber.StatusOK, inboxview.CustomerOptions(q, opts, "", more))
}

func (a *App) mailApprove(c *fiber.Ctx) error {
	id, err := a.mailParam(c)
	if err != nil {
		return err
	}
	ap := inbox.Approval{MailID: id, JobName: c.FormValue("job_name"), SubjectPattern: c.FormValue("subject_pattern")}
	choice := c.FormValue("customer_id")
	name := strings.TrimSpace(c.FormValue("customer_name"))
	errs := validation.Errors{}
	switch choice {
	case "existing":
		// A job exists: Approve finds it and needs no customer.
	case "new", "":
		ap.NewCustomerName = name // Approve says so when a new job needs one and it is blank
	default:
		cid, err := strconv.ParseInt(choice, 10, 64)
		if err != nil {
			errs.Add("customer_id", "pick a customer from the list")
		}
		ap.CustomerID = cid
	}
	var res inbox.Approved
	if len(errs) == 0 {
		res, err = inbox.Approve(c.UserContext(), a.db.Bun, a.actor(c), ap)
		if fe, ok := validation.As(err); ok {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		d, err := a.mailDetail(c, id)
		if err != nil {
			return err
		}
		f, err := a.approveForm(c, d, name, choice)
		if err != nil {
			return err
		}
		f.JobName, f.SubjectPattern, f.Errors = ap.JobName, ap.SubjectPattern, errs
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, inboxview.Approve(a.view(c), d, f))
	}
	msg := fmt.Sprintf("Approved: job created for %s; %s.", res.Customer, becameRuns(res.Processed))
	if !res.JobCreated {
		msg = fmt.Sprintf("Added to the existing job; %s.", becameRuns(res.Processed))
	}
	if res.Copies > 0 {
		msg += " " + ui.Count(res.Copies, "mail was a copy of a report already there (e.g. forwarded) and became no second run.",
			"mails were copies of reports already there (e.g. forwarded) and became no second run.")
	}
	trigger(c, map[string]any{"closeModal": true})
	l, err := a.inboxList(c, db.LocationInbox, 1)
	if err != nil {
		return err
	}
	retarget(c, "#inbox-list", "outerHTML")
	return a.renderFragment(c, fiber.StatusOK, inboxview.ListFragment(a.view(c), l), success(msg))
}

// approveCustomers is how many customers the approve form lists before any is typed.
const approveCustomers = 8

// approveForm is the approve section of a mail's dialog: the customers that match what
// was typed (the first ones when nothing was), and for a mail no parser knows the job
// name and subject pattern suggested from its subject.
func (a *App) approveForm(c *fiber.Ctx, d inboxview.Detail, typed, choice string) (inboxview.ApproveForm, error) {
	f := inboxview.ApproveForm{MailID: d.ID, CustomerName: typed, CustomerID: choice}
	if !d.CanWrite || d.Approvable != "" || d.ExistingJob != "" {
		return f, nil // no customer to pick
	}
	if d.NeedsJobName {
		f.JobName, f.SubjectPattern = parsers.SuggestedJobName(d.Subject), parsers.SuggestedSubjectPattern(d.Subject)
	}
	found, err := customers.Search(c.UserContext(), a.db.Bun, typed, approveCustomers+1)
	if err != nil {
		return f, err
	}
	if len(found) > approveCustomers {
		found, f.MoreCustomers = found[:approveCustomers], true
	}
	for _, cu := range found {
		f.Options = append(f.Options, inboxview.CustomerOption{ID: cu.ID, Name: cu.Name})
	}
	return f, nil
}

func formIDs(c *fiber.Ctx) []int64 {
	var ids []int64
	for _, raw := range c.Request().PostArgs().PeekMulti("mail_ids") {
		for _, part := range strings.Split(string(raw), ",") {
			if id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64); err == nil && id > 0 {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func (a *App) mailDelete(c *fiber.Ctx) error {
	ids := formIDs(c)
	if len(ids) == 0 {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Select at least one mail.")
	}
	n, err := inbox.Delete(c.UserContext(), a.db.Bun, a.actor(c), ids, a.now())
	if err != nil {
		return err
	}
	trigger(c, map[string]any{"closeModal": true})
	l, err := a.inboxList(c, db.LocationInbox, 1)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, inboxview.ListFragment(a.view(c), l), success(ui.Count(n, "mail", "mails")+" deleted."))
}

func (a *App) mailRestore(c *fiber.Ctx) error {
	return a.deletedAction(c, "restored", inbox.Restore)
}

func (a *App) mailPurge(c *fiber.Ctx) error {
	return a.deletedAction(c, "deleted permanently", inbox.Purge)
}

// becameRuns says how many mails an approval turned into runs.
func becameRuns(n int) string {
	if n == 1 {
		return "1 mail became a run"
	}
	return ui.Count(n, "mail", "mails") + " became runs"
}

func (a *App) deletedAction(c *fiber.Ctx, verb string, act func(context.Context, bun.IDB, audit.Actor, []int64) (int, error)) error {
	ids := formIDs(c)
	if len(ids) == 0 {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Select at least one mail.")
	}
	n, err := act(c.UserContext(), a.db.Bun, a.actor(c), ids)
	if err != nil {
		return err
	}
	l, err := a.inboxList(c, db.LocationDeleted, 1)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, inboxview.DeletedTable(a.view(c), l), success(ui.Count(n, "mail", "mails")+" "+verb+"."))
}

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

func (a *App) reparseAll(c *fiber.Ctx) error {
	if a.jobs == nil {
		return fiber.NewError(fiber.StatusServiceUnavailable, "Background work is not running in this process.")
	}
	id, err := a.jobs.StartMailReparse(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	t, err := tasks.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, ui.TaskProgress(taskView(t)))
}

// taskProgress re-renders a task's progress (live updates).
func (a *App) taskProgress(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fiber.ErrNotFound
	}
	t, err := tasks.Get(c.UserContext(), a.db.Bun, id)
	if errors.Is(err, db.ErrNotFound) {
		return fiber.ErrNotFound
	} else if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, ui.TaskProgress(taskView(t)))
}

func taskView(t *db.BackgroundTask) *ui.Task {
	return &ui.Task{ID: t.ID, Kind: t.Kind, Status: t.Status, Done: t.Done, Total: t.Total,
		Message: t.Message, Finished: t.FinishedAt != nil, Interrupted: t.Interrupted}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// fileSafe turns a subject into a short file name part.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			b.WriteRune('_')
		}
		if b.Len() >= 60 {
			break
		}
	}
	return strings.Trim(b.String(), "_")
}

func uiTaskProgress(t *db.BackgroundTask) templ.Component { return ui.TaskProgress(taskView(t)) }
