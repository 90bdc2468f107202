package parsers

import (
	"errors"
	"regexp"
	"strings"
)

// NAKIVO Backup & Replication mails a job report per job run: the job name in
// quotes in the subject, a summary (job name, type, status, start and end) and a
// per-VM table. The sender is the customer's SMTP account, so matching relies on
// the NAKIVO name in the mail together with a job.

const nakivoSoftware = "NAKIVO Backup & Replication"

func init() { register(nakivoParser{}) }

var (
	nakivoNameRe   = regexp.MustCompile(`(?i)nakivo`)
	nakivoJobRe    = words(`job|jobs`)
	nakivoQuotedRe = regexp.MustCompile(`(?i)job\s*:?\s*["“'‘]([^"”'’]+)["”'’]`)
	nakivoStatus   = statusWords{
		failed:  words(`failed|failure|fail|error|errors|unsuccessful`),
		warning: words(`warning|warnings|partially|partial|partially successful|stopped|skipped|canceled|cancelled|interrupted`),
		success: words(`successful|successfully|succeeded|success|completed`),
	}
	nakivoJobField    = fieldPattern("Job name", "Job")
	nakivoTypeField   = fieldPattern("Job type", "Type")
	nakivoStatusField = fieldPattern("Job status", "Status", "Result", "Job run result")
	nakivoHostField   = fieldPattern("Director", "Director host", "Host")
	nakivoStartField  = fieldPattern("Start date", "Start time", "Started", "Job start")
	nakivoEndField    = fieldPattern("End date", "End time", "Finished", "Job end")
	// "Replication" alone is part of the product name, so only the job kind counts.
	nakivoReplRe = words(`replication job|replica job`)
	nakivoCopyRe = words(`backup copy job|backup copy`)
)

// Time layouts seen in NAKIVO reports (the Director's locale decides).
var nakivoTimeLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05",
	"Mon, Jan 2, 2006 at 3:04:05 PM", "Mon, Jan 2, 2006 3:04:05 PM", "Jan 2, 2006 3:04:05 PM", "Jan 2, 2006 at 3:04 PM",
	"02 Jan 2006 15:04:05", "Mon, 02 Jan 2006 15:04:05",
}

type nakivoParser struct{}

func (nakivoParser) Info() Info {
	return Info{
		Name: "nakivo_job", BackupSoftware: nakivoSoftware,
		BackupTypes: []string{"Backup Job", "Replication Job", "Backup Copy Job"},
		Match:       `"NAKIVO" in sender, subject or body together with a job name and a status (successful / completed with warnings / failed)`,
		Order:       300,
		Enabled:     true,
		Examples:    []string{`[NAKIVO Backup & Replication] Job "Daily VM Backup" succeeded`, `[NAKIVO Backup & Replication] Job "Daily VM Backup" failed`},
	}
}

func (nakivoParser) Match(m *Mail) bool {
	body := plainMailText(m)
	all := m.From + "\n" + m.Subject + "\n" + body
	if !nakivoNameRe.MatchString(all) || !nakivoJobRe.MatchString(m.Subject+"\n"+body) {
		return false
	}
	// A report carries a result; product news that mentions jobs does not.
	return nakivoStatus.of(m.Subject) != "" || fieldValue(nakivoStatusField, body) != ""
}

func (nakivoParser) Parse(m *Mail) (*ParsedRun, error) {
	subject := strings.TrimSpace(normaliseSpaces(m.Subject))
	body := plainMailText(m)
	job := trimName(fieldValue(nakivoJobField, body))
	if sm := nakivoQuotedRe.FindStringSubmatch(subject); sm != nil {
		job = trimName(sm[1]) // the subject's quoted name is the exact job name
	}
	if job == "" {
		return nil, errors.New("nakivo: no job name in the subject or the report")
	}
	status := nakivoStatus.of(subject)
	if status == "" {
		status = nakivoStatus.of(fieldValue(nakivoStatusField, body))
	}
	if status == "" {
		return nil, errors.New("nakivo: no job status in the subject or the report")
	}
	run := &ParsedRun{
		BackupSoftware: nakivoSoftware,
		BackupType:     nakivoType(subject + "\n" + fieldValue(nakivoTypeField, body)),
		JobName:        job,
		Status:         status,
		Host:           trimName(fieldValue(nakivoHostField, body)),
	}
	loc := mailLocation(m)
	run.StartedAt = parseTimeLayouts(fieldValue(nakivoStartField, body), loc, nakivoTimeLayouts...)
	run.EndedAt = parseTimeLayouts(fieldValue(nakivoEndField, body), loc, nakivoTimeLayouts...)
	rows := htmlStatusTable(m.HTML,
		[]string{"VM", "VMs", "Virtual machine", "Source VM", "Source", "Name", "Instance", "Machine", "Workload"},
		[]string{"Status", "Result", "State"},
		[]string{"Details", "Error", "Errors", "Message", "Reason", "Notes"})
	for _, r := range rows {
		o := Object{Name: r.Name, Type: "VM", Status: nakivoStatus.of(r.Status)}
		if o.Status != StatusSuccess {
			o.Error = r.Detail
		}
		if !hasLetter(o.Name) {
			continue
		}
		run.Objects = append(run.Objects, o)
		if o.Error != "" && run.Message == "" {
			run.Message = o.Name + ": " + o.Error
		}
	}
	return run, nil
}

// nakivoType names the job kind from the subject and the report's job type.
func nakivoType(s string) string {
	switch {
	case nakivoCopyRe.MatchString(s):
		return "Backup Copy Job"
	case nakivoReplRe.MatchString(s):
		return "Replication Job"
	}
	return "Backup Job"
}
