package ingest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/live"
	bcmail "github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/db"
)

// Stored is the outcome for one message handed to StoreBatch.
type Stored struct {
	SourceID  string
	MailID    int64
	Duplicate bool   // already stored earlier (same source id, or same Message-ID and size)
	JobID     int64  // the job it became a run of; 0 if it waits in the Inbox
	RunID     int64  // the run created; 0 if none
	Parsed    bool   // a parser produced a run from it
	Error     string // why it is unparsed, if it is

	// SameReport: a copy of a report already a run of JobID (e.g. forwarded); no run of
	// its own.
	SameReport bool
	// AccountReport: a report on many accounts, handed to its source
	// (HandleAccountReports); not in the Inbox.
	AccountReport bool
}

// maxBody bounds a decoded body kept for display and search; the raw MIME is complete.
const maxBody = 4 << 20

// maxBatchBytes bounds the raw MIME sent in one INSERT; larger batches are split.
const maxBatchBytes = 16 << 20

// StoreBatch decodes, parses and stores messages from one source, then processes
// those that belong to known jobs — each chunk in one transaction, so a crash leaves
// either all of a chunk or none of it. Already stored messages are reported as
// duplicates (and may be marked processed at the source again). Nothing is dropped: a
// mail that cannot be decoded or parsed is stored with its error, and a mail the
// database refuses is stored again without its parse result, with the reason, so that
// one bad message never holds back the rest of its batch.
func StoreBatch(ctx context.Context, bdb *bun.DB, reg *parsers.Registry, source string, msgs []bcmail.Message, now time.Time) ([]Stored, error) {
	reg, err := inUIZone(ctx, bdb, reg)
	if err != nil {
		return nil, err
	}
	var out []Stored
	for start := 0; start < len(msgs); {
		end, size := start, 0
		for end < len(msgs) && (end == start || size+len(msgs[end].Raw) <= maxBatchBytes) {
			size += len(msgs[end].Raw)
			end++
		}
		preps := make([]prepared, 0, end-start)
		for _, m := range msgs[start:end] {
			preps = append(preps, Prepare(reg, source, m, now))
		}
		chunk, err := storeInTx(ctx, bdb, source, preps)
		if err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "ingest: a chunk of mails was refused; storing them one by one", "source", source, "mails", len(preps), "err", err)
			chunk, err = storeEach(ctx, bdb, source, preps)
		}
		if err != nil {
			return out, err
		}
		out = append(out, chunk...)
		start = end
	}
	return out, nil
}

func storeInTx(ctx context.Context, bdb *bun.DB, source string, preps []prepared) ([]Stored, error) {
	var out []Stored
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = storeChunk(ctx, tx, source, preps)
		return err
	})
	return out, err
}

// storeEach stores messages one transaction each; one the database still refuses is
// stored bare (raw MIME, headers, the reason) and not processed. Only if that fails too
// (the database itself is failing) is the error returned.
func storeEach(ctx context.Context, bdb *bun.DB, source string, preps []prepared) ([]Stored, error) {
	var out []Stored
	for _, p := range preps {
		s, err := storeInTx(ctx, bdb, source, []prepared{p})
		if err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "ingest: mail refused by the database; stored without its parse result",
				"source", source, "source_id", *p.row.SourceID, "err", err)
			s, err = storeInTx(ctx, bdb, source, []prepared{bare(p, err)})
		}
		if err != nil {
			return out, err
		}
		out = append(out, s...)
	}
	return out, nil
}

// bare keeps of a prepared mail what identifies it — raw MIME, source, Message-ID,
// sender, subject, dates — and records why its parse result was not stored.
func bare(p prepared, cause error) prepared {
	r := p.row
	return prepared{row: db.MailMessage{Source: r.Source, SourceID: r.SourceID, MessageID: r.MessageID, Size: r.Size,
		RawMIME: r.RawMIME, SkippedAttachments: r.SkippedAttachments, Truncated: r.Truncated,
		FromAddress: r.FromAddress, Subject: r.Subject, ReceivedAt: r.ReceivedAt, Location: r.Location,
		ParseError: strPtr(clean("could not be stored as read, so it is kept unparsed: "+cause.Error(), 4000)), ParsedAt: r.ParsedAt}}
}

// prepared is a message decoded and parsed in Go, ready to insert.
type prepared struct {
	row     db.MailMessage
	objects []parsers.Object
	inline  []db.MailInlinePart // without the mail id
}

func storeChunk(ctx context.Context, tx bun.Tx, source string, preps []prepared) ([]Stored, error) {
	rows := make([]db.MailMessage, 0, len(preps))
	objects := map[string][]parsers.Object{}
	raws := map[string][]byte{}
	inline := map[string][]db.MailInlinePart{}
	for _, p := range preps {
		sid := *p.row.SourceID
		if _, seen := raws[sid]; seen {
			continue // the same message twice in one batch
		}
		raws[sid] = p.row.RawMIME
		p.row.RawMIME = []byte{} // written below
		rows = append(rows, p.row)
		objects[sid] = p.objects
		inline[sid] = p.inline
	}

	var inserted []struct {
		ID       int64  `bun:"id"`
		SourceID string `bun:"source_id"`
	}
	if err := tx.NewInsert().Model(&rows).
		ExcludeColumn("id", "created_at", "updated_at").
		On("CONFLICT DO NOTHING").
		Returning("id, source_id").
		Scan(ctx, &inserted); err != nil {
		return nil, fmt.Errorf("ingest: store mails: %w", err)
	}
	newID := make(map[string]int64, len(inserted))
	var newIDs []int64
	newRaws := make([][]byte, 0, len(inserted))
	for _, r := range inserted {
		newID[r.SourceID] = r.ID
		newIDs = append(newIDs, r.ID)
		newRaws = append(newRaws, raws[r.SourceID])
	}
	if err := storeRaw(ctx, tx, newIDs, newRaws); err != nil {
		return nil, err
	}

	var objRows []db.MailObject
	for sid, id := range newID {
		for _, o := range objects[sid] {
			objRows = append(objRows, db.MailObject{MailMessageID: id, ObjectName: clean(o.Name, 500),
				ObjectType: clean(o.Type, 100), Status: statusPtr(o.Status), ErrorMessage: strPtr(clean(o.Error, 4000))})
		}
	}
	if len(objRows) > 0 {
		if _, err := tx.NewInsert().Model(&objRows).ExcludeColumn("id").Exec(ctx); err != nil {
			return nil, fmt.Errorf("ingest: store mail objects: %w", err)
		}
	}

	if err := storeInlineParts(ctx, tx, withMailIDs(newID, inline)); err != nil {
		return nil, err
	}

	runs, err := ProcessMails(ctx, tx, newIDs)
	if err != nil {
		return nil, err
	}
	handed, err := handOverAccountReports(ctx, tx, newIDs)
	if err != nil {
		return nil, err
	}
	byMail := make(map[int64]ProcessedRun, len(runs))
	for _, r := range runs {
		byMail[r.MailID] = r
	}

	// Duplicates: find what they duplicate, for the caller's report.
	dupIDs, err := existingIDs(ctx, tx, source, rows, newID)
	if err != nil {
		return nil, err
	}

	out := make([]Stored, 0, len(rows))
	for _, row := range rows {
		sid := *row.SourceID
		s := Stored{SourceID: sid, Parsed: row.ParsedStatus != nil}
		if row.ParseError != nil {
			s.Error = *row.ParseError
		}
		if id, ok := newID[sid]; ok {
			s.MailID = id
			s.AccountReport = handed[id]
			if r, ok := byMail[id]; ok && r.Duplicate {
				s.JobID, s.SameReport = r.JobID, true
			} else if ok {
				s.JobID, s.RunID = r.JobID, r.RunID
			}
		} else {
			s.Duplicate, s.MailID = true, dupIDs[sid]
		}
		out = append(out, s)
	}
	if len(newIDs) > 0 {
		if err := live.Notify(ctx, tx, live.Event{Topic: live.TopicInbox, IDs: newIDs}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// storeRaw writes the raw MIME of new mails as one binary parameter. Written into the
// SQL text (as bun writes values) a mail would be hex, twice its size, and copied
// again into the wire message: four times the mail in memory, which for the largest
// mails is most of what an import costs. Duplicates never send their MIME at all.
func storeRaw(ctx context.Context, tx bun.Tx, ids []int64, raws [][]byte) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := db.QueryCached(ctx, tx, `UPDATE mail_messages AS m SET raw_mime = d.raw
		FROM unnest($1::bigint[], $2::bytea[]) AS d(id, raw) WHERE m.id = d.id`, ids, raws)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err() // an UPDATE's error comes with its (empty) result
	}
	if err != nil {
		return fmt.Errorf("ingest: store raw MIME: %w", err)
	}
	return nil
}

// existingIDs looks up the stored mail each duplicate row collided with: same source
// id, else same Message-ID and size.
func existingIDs(ctx context.Context, tx bun.IDB, source string, rows []db.MailMessage, inserted map[string]int64) (map[string]int64, error) {
	out := map[string]int64{}
	for _, row := range rows {
		sid := *row.SourceID
		if _, ok := inserted[sid]; ok {
			continue
		}
		var id int64
		q := tx.NewSelect().Model((*db.MailMessage)(nil)).Column("id").Limit(1)
		if row.MessageID != nil {
			q = q.Where("(source = ? AND source_id = ?) OR (message_id = ? AND size = ?)", source, sid, *row.MessageID, row.Size)
		} else {
			q = q.Where("source = ? AND source_id = ?", source, sid)
		}
		if err := q.Scan(ctx, &id); err != nil {
			return nil, fmt.Errorf("ingest: find duplicate of %s: %w", sid, err)
		}
		out[sid] = id
	}
	return out, nil
}

// Prepare decodes and parses one message into the row StoreBatch inserts. It never
// fails: problems are recorded in the row's parse_error. An empty message is a mail
// too (stored, unparsed), and a message cut off at the size limit is stored with what
// is kept but not parsed.
func Prepare(reg *parsers.Registry, source string, m bcmail.Message, now time.Time) prepared {
	sid := m.SourceID
	if sid == "" {
		sid = bcmail.ContentSourceID(m.Raw)
	}
	size := m.Size
	if size < int64(len(m.Raw)) {
		size = int64(len(m.Raw))
	}
	raw := m.Raw
	if raw == nil {
		raw = []byte{} // bun writes a nil slice as NULL, and raw_mime is NOT NULL
	}
	row := db.MailMessage{Source: source, SourceID: &sid, Size: size, RawMIME: raw, Truncated: m.Truncated,
		Location: db.LocationInbox, SkippedAttachments: skippedJSON(m.Skipped), ParsedAt: &now}

	received := m.ReceivedAt
	if len(bytes.TrimSpace(raw)) == 0 {
		row.ReceivedAt = receivedOr(received, now)
		row.ParseError = strPtr("empty message: the mail has no content to show or parse")
		return prepared{row: row}
	}
	dec, err := bcmail.Decode(raw)
	if err != nil {
		// Keep what the headers still tell, so the Inbox row is recognisable.
		hdrFrom, hdrSubject, hdrDate, hdrID := headersOnly(raw)
		row.FromAddress, row.Subject, row.MessageID = strPtr(hdrFrom), strPtr(hdrSubject), strPtr(hdrID)
		if received.IsZero() {
			received = hdrDate
		}
		row.ReceivedAt = receivedOr(received, now)
		row.ParseError = strPtr(clean("cannot decode this mail: "+err.Error(), 4000))
		if m.Truncated {
			row.ParseError = strPtr(tooLarge(size, len(raw)))
		}
		return prepared{row: row}
	}
	if received.IsZero() {
		received = dec.Date
	}
	row.ReceivedAt = receivedOr(received, now)
	row.FromAddress = strPtr(strings.ToLower(dec.From))
	row.Subject = strPtr(clean(dec.Subject, 2000))
	row.MessageID = strPtr(clean(dec.MessageID, 1000))
	row.TextBody = strPtr(clean(dec.Text, maxBody))
	row.HTMLBody = strPtr(clean(dec.HTML, maxBody))
	if m.Truncated {
		row.ParseError = strPtr(tooLarge(size, len(raw)))
		return prepared{row: row, inline: inlineParts(dec)}
	}

	res := reg.Parse(parserMail(dec, row.ReceivedAt))
	p := prepared{row: row, inline: inlineParts(dec)}
	applyResult(&p.row, res, now)
	if res.Run != nil {
		p.objects = res.Run.Objects
	}
	return p
}

// tooLarge is the reason stored with a mail cut off at the size limit.
func tooLarge(size int64, kept int) string {
	return fmt.Sprintf("too large: this mail is %s, over the size limit even without its large attachments; only its first %s are kept, and it was not parsed",
		bcmail.FormatSize(size), bcmail.FormatSize(int64(kept)))
}

// applyResult writes a registry result into the parse columns of row.
func applyResult(row *db.MailMessage, res parsers.Result, now time.Time) {
	row.ParsedAt = &now
	row.ParserName = strPtr(res.Parser)
	row.ParseError = strPtr(clean(res.Error, 4000))
	row.ParsedBackupSoftware, row.ParsedBackupType, row.ParsedJobName = nil, nil, nil
	row.ParsedStatus, row.ParsedStartedAt, row.ParsedEndedAt = nil, nil, nil
	row.ParsedHost, row.ParsedMessage, row.ParsedInformational = nil, nil, false
	row.ParsedReportKey, row.ParsedTimeNote = nil, nil
	if r := res.Run; r != nil {
		row.ParsedBackupSoftware = strPtr(clean(r.BackupSoftware, 200))
		row.ParsedBackupType = strPtr(clean(r.BackupType, 200))
		row.ParsedJobName = strPtr(clean(r.JobName, 500))
		row.ParsedStatus = statusPtr(r.Status)
		row.ParsedStartedAt, row.ParsedEndedAt = r.StartedAt, r.EndedAt
		row.ParsedHost = strPtr(clean(r.Host, 500))
		row.ParsedMessage = strPtr(clean(r.Message, 4000))
		row.ParsedInformational = r.Informational
		row.ParsedReportKey = strPtr(clean(r.ReportKey, 500))
		row.ParsedTimeNote = strPtr(clean(r.TimeNote, 2000))
		if row.ParsedStatus == nil {
			row.ParseError = strPtr(clean(fmt.Sprintf("%s returned the unknown status %q", res.Parser, r.Status), 4000))
		}
	}
}

func receivedOr(t, now time.Time) time.Time {
	if t.IsZero() || t.After(now.Add(24*time.Hour)) {
		return now // missing, or a sender clock far in the future
	}
	return t
}

// headersOnly reads From, Subject, Date and Message-ID when full decoding failed.
func headersOnly(raw []byte) (from, subject string, date time.Time, messageID string) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", "", time.Time{}, ""
	}
	dec := new(mimeWordDecoder)
	subject = dec.decode(msg.Header.Get("Subject"))
	if addrs, err := msg.Header.AddressList("From"); err == nil && len(addrs) > 0 {
		from = strings.ToLower(addrs[0].Address)
	}
	date, _ = msg.Header.Date()
	messageID = strings.Trim(strings.TrimSpace(msg.Header.Get("Message-ID")), "<>")
	return clean(from, 500), clean(subject, 2000), date, clean(messageID, 1000)
}

func statusPtr(s string) *string {
	switch s {
	case parsers.StatusSuccess, parsers.StatusWarning, parsers.StatusFailed, parsers.StatusInfo:
		return &s
	}
	return nil
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// clean makes s safe for a text column: valid UTF-8, no NUL bytes, at most n bytes.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) > n {
		s = s[:n]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return strings.TrimSpace(s)
}

func skippedJSON(parts []bcmail.SkippedPart) []any {
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}
