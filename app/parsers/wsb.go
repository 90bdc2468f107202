package parsers

import (
	"errors"
	"regexp"
	"strings"
	"time"
)

// Windows Server Backup sends no mail itself. The common shape, and the one this
// parser reads, is a Task Scheduler task attached to the Microsoft-Windows-Backup
// events (ID 4 success; 5, 8, 9, 17, 19, 49, 50, 517, 521, 527, 528, 544, 545,
// 546, 561, 564 and 612 failures) running a script that mails:
//   - a subject naming Windows Server Backup or the server and a result, e.g.
//     "Windows Server Backup: Success on SRV01" or "SRV01 - Backup Failure", and
//   - a body with the event message and/or the output of wbadmin
//     ("wbadmin 1.0 - Backup command-line tool", "Summary of the backup
//     operation", "The backup of volume (C:) completed successfully.").
//
// The body's own result lines decide the status; the subject is the fallback. A
// server has one scheduled WSB backup, so the job is "Windows Server Backup" and
// the server is the host.

const wsbSoftware = "Windows Server Backup"

func init() { register(wsbParser{}) }

var (
	wsbCueRe = regexp.MustCompile(`(?i)windows\s*server\s*backup|\bwbadmin\b|Microsoft-Windows-Backup|WindowsServerBackup`)
	// Operation-level result sentences written by wbadmin and the backup events.
	wsbFailedRe  = regexp.MustCompile(`(?im)the backup operation stopped before completing|backup operation (?:that started at '[^']*' )?has failed|has failed with (?:the )?following error|backup operation attempted at '[^']*' has failed|^ERROR\s*-\s`)
	wsbWarningRe = regexp.MustCompile(`(?i)backup operation (?:has )?completed with (?:warnings|errors)|backup operation completed, but|some (?:of the )?files could not be backed up`)
	wsbSuccessRe = regexp.MustCompile(`(?i)the backup operation (?:has )?(?:successfully completed|completed successfully|finished successfully)|the backup operation has completed\.`)
	wsbSubject   = statusWords{
		failed:  words(`fail|failed|failure|error|errors|unsuccessful`),
		warning: words(`warning|warnings|partial|partially`),
		success: words(`success|successful|successfully|succeeded|completed|ok`),
	}
	wsbVolumeRe    = regexp.MustCompile(`(?im)the backup of volume\s+(.+?)\s+(completed successfully|successfully completed|completed with warnings|failed|did not complete successfully|stopped before completing)`)
	wsbDetailRe    = regexp.MustCompile(`(?im)^\s*(?:Detailed error|ERROR)\s*[:-]\s*(.+?)\s*$`)
	wsbStartedRe   = regexp.MustCompile(`(?i)started at '(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)'`)
	wsbHostField   = fieldPattern("Computer", "Server", "Host", "Hostname", "Machine")
	wsbHostOnRe    = regexp.MustCompile(`(?i)\bon\s+([A-Za-z0-9][A-Za-z0-9._-]*)\s*$`)
	wsbHostLeadRe  = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s+[-–:]\s+`)
	wsbBodyOnRe    = regexp.MustCompile(`(?i)(?:windows server backup|backup) on\s+([A-Za-z0-9][A-Za-z0-9._-]*)`)
	wsbNotHostWord = words(`windows|backup|wbadmin|wsb|server|success|failure|failed|warning`)
)

type wsbParser struct{}

func (wsbParser) Info() Info {
	return Info{
		Name: "windows_server_backup", BackupSoftware: wsbSoftware, BackupTypes: []string{"Server Backup"},
		Match:    `"Windows Server Backup", "wbadmin" or the Microsoft-Windows-Backup event source in subject or body (script/Task Scheduler mails with wbadmin or event text)`,
		Order:    700,
		Enabled:  true,
		Examples: []string{"Windows Server Backup: Success on SRV01", "SRV01 - Backup Failure"},
	}
}

func (wsbParser) Match(m *Mail) bool {
	return wsbCueRe.MatchString(m.Subject + "\n" + plainMailText(m))
}

func (wsbParser) Parse(m *Mail) (*ParsedRun, error) {
	subject := strings.TrimSpace(normaliseSpaces(m.Subject))
	body := plainMailText(m)
	run := &ParsedRun{BackupSoftware: wsbSoftware, BackupType: "Server Backup", JobName: wsbSoftware, Host: wsbHost(subject, body)}
	run.Objects = wsbVolumes(body)
	switch {
	case wsbFailedRe.MatchString(body):
		run.Status = StatusFailed
	case wsbWarningRe.MatchString(body):
		run.Status = StatusWarning
	case wsbSuccessRe.MatchString(body):
		run.Status = StatusSuccess
	default:
		run.Status = wsbSubject.of(subject)
	}
	// A run that reports success but lost a volume is not a clean success.
	if run.Status == StatusSuccess {
		for _, o := range run.Objects {
			if o.Status != StatusSuccess {
				run.Status = StatusWarning
			}
		}
	}
	if run.Status == "" {
		return nil, errors.New("wsb: no backup result in the body or the subject")
	}
	if sm := wsbDetailRe.FindStringSubmatch(body); sm != nil {
		run.Message = sm[1]
	} else if sm := wsbFailedRe.FindString(body); sm != "" {
		run.Message = lineContaining(body, sm)
	}
	if sm := wsbStartedRe.FindStringSubmatch(body); sm != nil {
		if t, err := time.Parse(time.RFC3339Nano, sm[1]); err == nil {
			run.StartedAt = &t
		}
	}
	return run, nil
}

// wsbVolumes lists each volume once with its last reported result (wbadmin prints
// them while running and again in the summary).
func wsbVolumes(body string) []Object {
	var objs []Object
	seen := map[string]int{}
	for _, sm := range wsbVolumeRe.FindAllStringSubmatch(body, -1) {
		name := strings.Trim(strings.TrimSpace(sm[1]), "()")
		status := StatusFailed
		switch r := strings.ToLower(sm[2]); {
		case strings.Contains(r, "warning"):
			status = StatusWarning
		case r == "completed successfully" || r == "successfully completed":
			status = StatusSuccess
		}
		if i, ok := seen[name]; ok {
			objs[i].Status = status
			continue
		}
		seen[name] = len(objs)
		objs = append(objs, Object{Name: name, Type: "Volume", Status: status})
	}
	return objs
}

// wsbHost finds the server: a labelled field, "… on HOST" or "HOST - …" in the
// subject, or "Windows Server Backup on HOST" in the body.
func wsbHost(subject, body string) string {
	if v := trimName(fieldValue(wsbHostField, body)); v != "" {
		return v
	}
	for _, re := range []*regexp.Regexp{wsbHostOnRe, wsbHostLeadRe} {
		if sm := re.FindStringSubmatch(subject); sm != nil && !wsbNotHostWord.MatchString(sm[1]) {
			return sm[1]
		}
	}
	if sm := wsbBodyOnRe.FindStringSubmatch(body); sm != nil && !wsbNotHostWord.MatchString(sm[1]) {
		return sm[1]
	}
	return ""
}

// lineContaining returns the whole line of s that contains sub.
func lineContaining(s, sub string) string {
	i := strings.Index(s, sub)
	if i < 0 {
		return sub
	}
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		return strings.TrimSpace(s[start:])
	}
	return strings.TrimSpace(s[start : i+end])
}
