package parsers

import (
	"regexp"
	"strings"
)

func init() { register(genericParser{}) }

// genericParser is the last resort: it reads a status word from the subject so an
// unknown vendor's mail still shows a status in the Inbox. It never names a job, so
// such a mail waits in the Inbox (marked generic) rather than becoming a run by guess,
// until an approver names its job: the job's match rule (sender and a subject pattern,
// see SuggestedSubjectPattern) then recognises the stream's later mails.
type genericParser struct{}

const (
	failedWords  = `fail(ed|ure)?|errors?|unsuccessful|mislukt|échec|echec|échoué|fehlgeschlagen|critical`
	warningWords = `warn(ing)?s?|partially|partial|gedeeltelijk|avertissement|warnung`
	successWords = `success(ful(ly)?)?|succeeded|completed|ok|geslaagd|réussi|reussi|terminée|erfolgreich`
)

var (
	genericFailed  = words(failedWords)
	genericWarning = words(warningWords)
	genericSuccess = words(successWords)
)

// words matches any of the alternatives as a whole word. Go's \b only knows ASCII
// word characters, so letters such as "é" need explicit Unicode boundaries.
func words(alternatives string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}])(?:` + alternatives + `)(?:$|[^\p{L}\p{N}])`)
}

func (genericParser) Info() Info {
	return Info{
		Name: "generic_subject_status", BackupSoftware: "Unknown", BackupTypes: []string{"Generic"},
		Match: "any mail whose subject contains a status word (failed/error, warning/partial, success/completed)",
		Order: 10000, Enabled: true, Generic: true,
		Examples: []string{"[Failed] Nightly backup", "Backup completed successfully", "Backup finished with warnings"},
	}
}

func (genericParser) Match(m *Mail) bool { return genericStatus(m.Subject) != "" }

func (genericParser) Parse(m *Mail) (*ParsedRun, error) {
	return &ParsedRun{BackupSoftware: "Unknown", BackupType: "Generic", Status: genericStatus(m.Subject),
		Message: strings.TrimSpace(m.Subject)}, nil
}

// genericStatus picks the worst status word in s: failure beats warning beats success.
func genericStatus(s string) string {
	switch {
	case genericFailed.MatchString(s):
		return StatusFailed
	case genericWarning.MatchString(s):
		return StatusWarning
	case genericSuccess.MatchString(s):
		return StatusSuccess
	}
	return ""
}
