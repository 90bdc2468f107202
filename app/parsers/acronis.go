package parsers

import (
	"errors"
	"regexp"
	"strings"
)

// Acronis Cyber Protect (Cloud) and Acronis Backup mail one result per machine and
// protection plan: the result in the subject ("Backup succeeded", "… succeeded
// with warnings", "… failed") and the plan, device, times and error as labelled
// fields. Job name is the plan; the machine is the host and the run's object.

const acronisSoftware = "Acronis Cyber Protect"

func init() { register(acronisParser{}) }

var (
	acronisNameRe   = regexp.MustCompile(`(?i)acronis|cyber\s+protect(?:ion)?`)
	acronisBackupRe = words(`backups?|protection plan|backup plan`)
	acronisStatus   = statusWords{
		failed:  words(`failed|failure|fail|error|errors|unsuccessful|not completed`),
		warning: words(`warning|warnings|succeeded with warnings|completed with warnings|partially`),
		success: words(`succeeded|successful|successfully|success|completed|ok`),
	}
	acronisPlanField    = fieldPattern("Plan", "Protection plan", "Backup plan", "Plan name")
	acronisMachineField = fieldPattern("Device", "Machine", "Workload", "Computer", "Resource", "Device name")
	acronisStatusField  = fieldPattern("Status", "Result", "Activity status", "Backup status")
	acronisErrorField   = fieldPattern("Error", "Error message", "Reason", "Details", "Error details")
	acronisStartField   = fieldPattern("Started", "Start time", "Started at", "Start")
	acronisEndField     = fieldPattern("Finished", "End time", "Finished at", "Completed", "End")
	acronisQuotedPlanRe = regexp.MustCompile(`["“]([^"”]+)["”]`)
	acronisOnRe         = regexp.MustCompile(`(?i)\bon\s+["“]?([\p{L}\p{N}][\p{L}\p{N}._-]*)["”]?\s*$`)
	acronisRestoreRe    = words(`recovery|restore|restored`)
)

// Acronis writes times in the console's locale; these are the English forms.
var acronisTimeLayouts = []string{
	"Jan 2, 2006, 3:04:05 PM", "Jan 2, 2006 3:04:05 PM", "Jan 2, 2006, 3:04 PM", "Jan 2, 2006 3:04 PM",
	"01/02/2006 3:04:05 PM", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00", "2 Jan 2006 15:04:05",
}

type acronisParser struct{}

func (acronisParser) Info() Info {
	return Info{
		Name: "acronis_backup", BackupSoftware: acronisSoftware, BackupTypes: []string{"Backup"},
		Match:    `"Acronis" or "Cyber Protect" in sender, subject or body, a backup result in the subject or Status field, and a plan (field or quoted in the subject); recovery mails excluded`,
		Order:    600,
		Enabled:  true,
		Examples: []string{`Backup succeeded: "Daily Server Backup" on srv01`, `Backup failed: "Daily Server Backup" on srv01`},
	}
}

func (acronisParser) Match(m *Mail) bool {
	body := plainMailText(m)
	if !acronisNameRe.MatchString(m.From + "\n" + m.Subject + "\n" + body) {
		return false
	}
	if !acronisBackupRe.MatchString(m.Subject) || acronisRestoreRe.MatchString(m.Subject) {
		return false
	}
	return acronisStatus.of(m.Subject) != "" || fieldValue(acronisStatusField, body) != ""
}

func (acronisParser) Parse(m *Mail) (*ParsedRun, error) {
	subject := strings.TrimSpace(normaliseSpaces(m.Subject))
	body := plainMailText(m)
	plan := trimName(fieldValue(acronisPlanField, body))
	if plan == "" {
		if sm := acronisQuotedPlanRe.FindStringSubmatch(subject); sm != nil {
			plan = trimName(sm[1])
		}
	}
	if plan == "" {
		return nil, errors.New("acronis: no plan name in the fields or the subject")
	}
	status := acronisStatus.of(subject)
	if status == "" {
		status = acronisStatus.of(fieldValue(acronisStatusField, body))
	}
	if status == "" {
		return nil, errors.New("acronis: no result in the subject or the Status field")
	}
	machine := trimName(fieldValue(acronisMachineField, body))
	if machine == "" {
		if sm := acronisOnRe.FindStringSubmatch(subject); sm != nil {
			machine = trimName(sm[1])
		}
	}
	errText := fieldValue(acronisErrorField, body)
	run := &ParsedRun{
		BackupSoftware: acronisSoftware, BackupType: "Backup", JobName: plan, Status: status,
		Host: machine, Message: errText,
	}
	loc := mailLocation(m)
	run.StartedAt = parseTimeLayouts(fieldValue(acronisStartField, body), loc, acronisTimeLayouts...)
	run.EndedAt = parseTimeLayouts(fieldValue(acronisEndField, body), loc, acronisTimeLayouts...)
	if machine != "" {
		o := Object{Name: machine, Type: "Machine", Status: status}
		if status != StatusSuccess {
			o.Error = errText
		}
		run.Objects = []Object{o}
	}
	return run, nil
}
