package parsers

import (
	"errors"
	"regexp"
	"strings"
)

func init() { register(veeamSPCAlarmParser{}) }

// veeamSPCAlarmParser reads the per-event alarm mails of Veeam Service Provider
// Console. They are told apart by the console's default subject
// `Company: "%company%", Location: "%location%", Alarm: "%alarmName%", Status: "%alarmStatus%"`;
// a provider who rewrote that subject gets the generic parser instead. The body's
// layout is not documented, so only labelled values are read from it ("Object: …",
// "Description: …", "Time: …", as two-cell rows or lines) and the rest comes from
// the subject. Daily summary mails (many alarms in one) are not read.
type veeamSPCAlarmParser struct{}

var veeamSPCSubjectRe = regexp.MustCompile(`(?i)company:\s*"([^"]*)"\s*,\s*location:\s*"([^"]*)"\s*,\s*alarm:\s*"([^"]*)"\s*,\s*status:\s*"([^"]*)"`)

func (veeamSPCAlarmParser) Info() Info {
	return Info{
		Name: "veeam_spc_alarm", BackupSoftware: "Veeam Service Provider Console", BackupTypes: []string{"Alarm"},
		Match: `subject in the console's default alarm shape: Company: "…", Location: "…", Alarm: "…", Status: "…"; any sender`,
		Order: 100, Enabled: true,
		Examples: []string{
			`Company: "Example Ltd", Location: "Head office", Alarm: "Job state", Status: "Error"`,
			`Company: "Example Ltd", Location: "Head office", Alarm: "Job state", Status: "Resolved"`,
		},
	}
}

func (veeamSPCAlarmParser) Match(m *Mail) bool { return veeamSPCSubjectRe.MatchString(m.Subject) }

// Parse maps the alarm status: Error is Failed, Warning and Acknowledged (still
// active, seen by someone) are Warning, Resolved and Info are Success. The company
// stands in for the host.
func (veeamSPCAlarmParser) Parse(m *Mail) (*ParsedRun, error) {
	s := veeamSPCSubjectRe.FindStringSubmatch(m.Subject)
	if s == nil {
		return nil, errors.New("veeam: not a Service Provider Console alarm subject")
	}
	company, location, alarm, rawStatus := strings.TrimSpace(s[1]), strings.TrimSpace(s[2]), strings.TrimSpace(s[3]), strings.TrimSpace(s[4])
	var status string
	switch strings.ToLower(rawStatus) {
	case "error", "failed", "critical":
		status = StatusFailed
	case "warning", "acknowledged":
		status = StatusWarning
	case "resolved", "info", "information", "success":
		status = StatusSuccess
	default:
		return nil, errors.New("veeam: unknown alarm status " + `"` + rawStatus + `"`)
	}
	if alarm == "" {
		return nil, errors.New("veeam: alarm subject without an alarm name")
	}
	rep := veeamRead(m)
	pairs := rep.pairs
	if len(pairs) == 0 && m.Text != "" {
		pairs = map[string]string{}
		for _, line := range strings.Split(m.Text, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(v) != "" {
				pairs[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
	}
	value := func(keys ...string) string {
		for _, k := range keys {
			if v := strings.TrimSpace(pairs[k]); v != "" {
				return v
			}
		}
		return ""
	}
	// One console mails the alarms of every client company from one address, and a
	// job is found by sender and name: the name carries company, location and object.
	owner := company
	if location != "" && !strings.EqualFold(location, company) {
		owner = strings.TrimPrefix(owner+" / "+location, " / ")
	}
	if owner != "" {
		owner += " - "
	}
	run := &ParsedRun{
		BackupSoftware: "Veeam Service Provider Console",
		BackupType:     "Alarm",
		JobName:        owner + alarm,
		Status:         status,
		Host:           company,
	}
	object := value("object", "object name", "affected object", "source object")
	if object != "" {
		run.JobName += " - " + object
		run.Objects = []Object{{Name: object, Status: status, Type: value("object type")}}
	}
	var message []string
	switch strings.ToLower(rawStatus) {
	case "error", "failed", "warning", "success":
	default: // a status whose meaning the mapping blurs: Resolved, Acknowledged, Info
		message = append(message, "Alarm status: "+rawStatus)
	}
	if d := value("description", "message", "details", "remediation"); d != "" {
		message = append(message, d)
		if len(run.Objects) == 1 && status != StatusSuccess {
			run.Objects[0].Error = d
		}
	}
	run.Message = strings.Join(message, "\n")
	loc := m.SenderLocation()
	if t, ok := veeamParseDateTime(value("time", "triggered", "date"), loc); ok {
		run.StartedAt = &t
	}
	return run, nil
}
