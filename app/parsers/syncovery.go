package parsers

import (
	"errors"
	"regexp"
	"strings"
)

// Syncovery mails a profile result after a run when "send email notification" is
// set: the profile name and result in the subject and "Label: value" lines for
// profile, result and times in the body. The subject text is configurable, so the
// body's Result line decides the status and the subject is the fallback.

const syncoverySoftware = "Syncovery"

func init() { register(syncoveryParser{}) }

var (
	syncoveryNameRe       = regexp.MustCompile(`(?i)syncovery`)
	syncoveryProfileField = fieldPattern("Profile", "Profile name", "Profile Name", "Job")
	syncoveryResultField  = fieldPattern("Result", "Status", "Profile result", "Outcome")
	syncoveryHostField    = fieldPattern("Computer", "Machine", "Host", "Server")
	syncoveryStartField   = fieldPattern("Started", "Start time", "Start")
	syncoveryEndField     = fieldPattern("Finished", "End time", "Completed at", "End")
	syncoveryQuotedRe     = regexp.MustCompile(`(?i)profile\s*:?\s*["“'‘]([^"”'’]+)["”'’]`)
	syncoveryStatus       = statusWords{
		failed:  words(`failed|failure|fail|error|errors|unsuccessful|aborted|not completed|could not`),
		warning: words(`warning|warnings|partially|cancell?ed|canceled|incomplete|skipped`),
		success: words(`completed|complete|succeeded|successful|successfully|success|finished|ok|nothing to do`),
	}
)

var syncoveryTimeLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "02.01.2006 15:04:05", "1/2/2006 3:04:05 PM", "Jan 2, 2006 3:04:05 PM",
}

type syncoveryParser struct{}

func (syncoveryParser) Info() Info {
	return Info{
		Name: "syncovery_profile", BackupSoftware: syncoverySoftware, BackupTypes: []string{"Profile"},
		Match:    `"Syncovery" in sender, subject or body with a profile name (Profile field or quoted in the subject) and a result`,
		Order:    800,
		Enabled:  true,
		Examples: []string{`Syncovery: Profile "Office to NAS" completed`, `Syncovery: Profile "Office to NAS" failed`},
	}
}

func (syncoveryParser) Match(m *Mail) bool {
	body := plainMailText(m)
	if !syncoveryNameRe.MatchString(m.From + "\n" + m.Subject + "\n" + body) {
		return false
	}
	return fieldValue(syncoveryProfileField, body) != "" || syncoveryQuotedRe.MatchString(m.Subject)
}

func (syncoveryParser) Parse(m *Mail) (*ParsedRun, error) {
	subject := strings.TrimSpace(normaliseSpaces(m.Subject))
	body := plainMailText(m)
	profile := trimName(fieldValue(syncoveryProfileField, body))
	if sm := syncoveryQuotedRe.FindStringSubmatch(subject); profile == "" && sm != nil {
		profile = trimName(sm[1])
	}
	if profile == "" {
		return nil, errors.New("syncovery: no profile name")
	}
	result := fieldValue(syncoveryResultField, body)
	status := syncoveryStatus.of(result)
	if status == "" {
		status = syncoveryStatus.of(subject)
	}
	if status == "" {
		return nil, errors.New("syncovery: no result in the body or the subject")
	}
	run := &ParsedRun{
		BackupSoftware: syncoverySoftware, BackupType: "Profile", JobName: profile, Status: status,
		Host: trimName(fieldValue(syncoveryHostField, body)), Message: result,
	}
	loc := mailLocation(m)
	run.StartedAt = parseTimeLayouts(fieldValue(syncoveryStartField, body), loc, syncoveryTimeLayouts...)
	run.EndedAt = parseTimeLayouts(fieldValue(syncoveryEndField, body), loc, syncoveryTimeLayouts...)
	return run, nil
}
