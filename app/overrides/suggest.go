package overrides

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// SuggestedValidDays is how long an override suggested from a run lasts by default.
const SuggestedValidDays = 30

// maxSuggestedText bounds the message text a suggestion matches on.
const maxSuggestedText = 200

// Suggestion is an override form prefilled from one run.
type Suggestion struct {
	Input
	JobLabel string // "Customer / Job"
}

// ObjectError is one object's result in a run, as a suggestion weighs it.
type ObjectError struct {
	Name   string `bun:"object_name"`
	Status string `bun:"status"`
	Error  string `bun:"error_message"`
}

// SuggestForRun prefills an override from a run ("Mark as Success" → "Create
// override"): narrow by default, so that it covers failures like this one and not every
// future failure of the job. Object level for the run's job, the run's reported status,
// its error text ("contains"), the object when the error is one object's, and an end
// date SuggestedValidDays out (inclusive, in loc).
func SuggestForRun(ctx context.Context, idb bun.IDB, runID int64, loc *time.Location, now time.Time) (Suggestion, error) {
	var run struct {
		JobID    int64  `bun:"job_id"`
		JobLabel string `bun:"job_label"`
		Status   string `bun:"status"`
		Message  string `bun:"message"`
	}
	if err := idb.NewRaw(`
		SELECT r.job_id, c.name || ' / ' || j.job_name AS job_label, r.status, coalesce(r.message, '') AS message
		FROM job_runs r JOIN jobs j ON j.id = r.job_id JOIN customers c ON c.id = j.customer_id
		WHERE r.id = ?`, runID).Scan(ctx, &run); err != nil {
		return Suggestion{}, fmt.Errorf("overrides: suggest for run %d: %w", runID, db.NotFound(err))
	}
	var objs []ObjectError
	if err := idb.NewRaw(`
		SELECT co.object_name, coalesce(l.status, '') AS status, coalesce(l.error_message, '') AS error_message
		FROM run_object_links l JOIN customer_objects co ON co.id = l.customer_object_id
		WHERE l.job_run_id = ?
		ORDER BY status_severity(l.status) DESC NULLS LAST, lower(co.object_name)`, runID).Scan(ctx, &objs); err != nil {
		return Suggestion{}, fmt.Errorf("overrides: objects of run %d: %w", runID, err)
	}
	object, text := SuggestMatch(run.Message, objs)
	return Suggestion{JobLabel: run.JobLabel, Input: Input{
		Level: "object", JobID: strconv.FormatInt(run.JobID, 10), ObjectName: object,
		MatchStatus: run.Status, MatchText: text, MatchMode: ModeContains, TreatAsSuccess: true,
		ValidUntil: now.In(loc).AddDate(0, 0, SuggestedValidDays).Format("2006-01-02"),
	}}, nil
}

// SuggestMatch picks what an override suggested from a run matches on: the error text
// (the first line of the run's message, else of its worst object's error) and the
// object, when the error is one object's (the only object that did not succeed, or
// the one object whose error carries the message). objs come worst first.
func SuggestMatch(message string, objs []ObjectError) (object, text string) {
	text = firstLine(message)
	var failing []ObjectError
	for _, o := range objs {
		if (o.Status != "" && o.Status != "Success") || (o.Status == "" && strings.TrimSpace(o.Error) != "") {
			failing = append(failing, o)
		}
	}
	switch {
	case len(failing) == 1:
		object = failing[0].Name
		if text == "" {
			text = firstLine(failing[0].Error)
		}
	case len(failing) > 1 && text != "":
		// The message names one object's error: that object.
		var carrying []ObjectError
		for _, o := range failing {
			if strings.Contains(strings.ToLower(o.Error), strings.ToLower(text)) {
				carrying = append(carrying, o)
			}
		}
		if len(carrying) == 1 {
			object = carrying[0].Name
		}
	case len(failing) > 1:
		// No message: the objects' error when they share it, else the worst object's.
		shared := firstLine(failing[0].Error)
		for _, o := range failing[1:] {
			if !strings.EqualFold(firstLine(o.Error), shared) {
				shared = ""
				break
			}
		}
		if shared != "" {
			text = shared
		} else {
			object, text = failing[0].Name, firstLine(failing[0].Error)
		}
	}
	return object, text
}

// firstLine is s's first non-blank line, trimmed and cut to maxSuggestedText runes.
func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if utf8.RuneCountInString(line) > maxSuggestedText {
				line = strings.TrimSpace(string([]rune(line)[:maxSuggestedText]))
			}
			return line
		}
	}
	return ""
}
