package parsers

import (
	"errors"
	"regexp"
	"slices"
	"strings"
)

// The Veeam job report parsers: Backup & Replication (backup, backup copy,
// replication, configuration backup, SureBackup, tape and agent jobs), the
// standalone Veeam Agents for Windows and Linux (vee-mail), and Veeam Backup for
// Microsoft 365. They all read the same report layout (veeam_report.go); what tells
// them apart is the title ("Backup Copy job: NAME") and the product named in the
// report. Veeam mails come from whatever address the customer set up, so the sender
// is never looked at.
//
// Times: the report gives the sender's local clock times without a zone. They are
// read in the sender's zone as the mail tells it (Mail.SenderLocation: the Date
// header's offset when it can be the sender's, else the UI timezone; see zone.go); a
// date that cannot be read leaves the time nil.

func init() {
	for _, p := range veeamJobParsers {
		register(p)
	}
}

// Products a report can come from, as told by veeamProduct.
const (
	veeamBR      = "br"
	veeamWindows = "windows"
	veeamLinux   = "linux"
	veeamM365    = "m365"
)

// veeamJobParser is one kind of Veeam job report.
type veeamJobParser struct {
	info       Info
	product    string   // which product's reports this parser reads
	kinds      []string // which report titles (veeamReport.kind)
	objectType string   // Object.Type of the rows, when the table has no Type column
}

var veeamJobParsers = []veeamJobParser{
	{
		info: Info{
			Name: "veeam_m365_job", BackupSoftware: "Veeam Backup for Microsoft 365",
			BackupTypes: []string{"Backup Job", "Backup Copy Job"},
			Match: "a Veeam job report (\"Backup job: NAME\" or \"Backup Copy job: NAME\" above the session table) that names Veeam Backup for Microsoft 365 (or Office 365), " +
				"or whose subject has the product's default shape \"[Result] ORGANIZATION - JOB (N objects), N issues\"; any sender",
			Order: 105, Enabled: true,
			Examples: []string{"[Success] example.onmicrosoft.com - Mailboxes daily (120 objects), 0 issues", "[Warning] example.onmicrosoft.com - SharePoint and OneDrive (45 objects), 2 issues"},
		},
		product: veeamM365, kinds: []string{"backup", "backup copy"},
	},
	{
		info: Info{
			Name: "veeam_agent_linux", BackupSoftware: "Veeam Agent for Linux", BackupTypes: []string{"Agent Backup Job"},
			Match: "a Veeam report titled \"Agent Backup job: NAME\" whose description or footer names Veeam Agent for Linux (as sent by the vee-mail script); " +
				"subject \"[Result] HOST - START (JOB - Full|Incremental)\"; any sender",
			Order: 110, Enabled: true,
			Examples: []string{"[Success] SRV-WEB01 - Tuesday, 03 March 2026 23:00:01 (daily - Incremental)", "[Failed] SRV-DB01 - Tuesday, 03 March 2026 23:30:00 (nightly - Full)"},
		},
		product: veeamLinux, kinds: []string{"agent backup"}, objectType: "Machine",
	},
	{
		info: Info{
			Name: "veeam_agent_windows", BackupSoftware: "Veeam Agent for Microsoft Windows", BackupTypes: []string{"Agent Backup Job"},
			Match: "a Veeam report titled \"Agent Backup job: NAME\" whose description or footer names Veeam Agent for Microsoft Windows; " +
				"subject \"[Result] COMPUTER - JOB - COMPLETION TIME\" by default; any sender",
			Order: 111, Enabled: true,
			Examples: []string{"[Success] WS-FINANCE01 - Daily backup - Tuesday, 03 March 2026 22:04:12", "[Warning] LT-SALES02 - Laptop backup - Tuesday, 03 March 2026 12:31:40"},
		},
		product: veeamWindows, kinds: []string{"agent backup"}, objectType: "Machine",
	},
	{
		info: Info{
			Name: "veeam_agent_job", BackupSoftware: "Veeam Backup & Replication", BackupTypes: []string{"Agent Backup Job"},
			Match: "a Veeam Backup & Replication report titled \"Agent Backup job: NAME\" (an agent job managed by the backup server, not a standalone agent); any sender",
			Order: 112, Enabled: true,
			Examples: []string{"[Success] Workstations (4 machines) ", "[Failed] File servers (2 machines) 1 failed"},
		},
		product: veeamBR, kinds: []string{"agent backup"}, objectType: "Machine",
	},
	{
		info: Info{
			Name: "veeam_backup_copy_job", BackupSoftware: "Veeam Backup & Replication", BackupTypes: []string{"Backup Copy Job"},
			Match: "a Veeam Backup & Replication report titled \"Backup Copy job: NAME\" with a [Result] subject or a status beside the title; any sender",
			Order: 120, Enabled: true,
			Examples: []string{"[Success] Offsite copy (3 VMs) ", "[Warning] Offsite copy (3 objects) 1 warning"},
		},
		product: veeamBR, kinds: []string{"backup copy"}, objectType: "VM",
	},
	{
		info: Info{
			Name: "veeam_replication_job", BackupSoftware: "Veeam Backup & Replication", BackupTypes: []string{"Replication Job"},
			Match: "a Veeam Backup & Replication report titled \"Replication job: NAME\" (VMware or Hyper-V) with a [Result] subject or a status beside the title; any sender",
			Order: 121, Enabled: true,
			Examples: []string{"[Success] DR replicas (2 VMs) ", "[Failed] DR replicas (2 VMs) 1 failed"},
		},
		product: veeamBR, kinds: []string{"replication"}, objectType: "VM",
	},
	{
		info: Info{
			Name: "veeam_surebackup_job", BackupSoftware: "Veeam Backup & Replication", BackupTypes: []string{"SureBackup Job"},
			Match: "a Veeam Backup & Replication report titled \"SureBackup job: NAME\" with a [Result] subject or a status beside the title; any sender",
			Order: 122, Enabled: true,
			Examples: []string{"[Success] Weekly restore test (3 VMs) ", "[Failed] Weekly restore test (3 VMs) 1 failed"},
		},
		product: veeamBR, kinds: []string{"surebackup"}, objectType: "VM",
	},
	{
		info: Info{
			Name: "veeam_tape_job", BackupSoftware: "Veeam Backup & Replication", BackupTypes: []string{"Tape Job"},
			Match: "a Veeam Backup & Replication report titled \"Backup to Tape job: NAME\", \"File to Tape job: NAME\" or \"Tape job: NAME\" with a [Result] subject or a status beside the title; any sender",
			Order: 123, Enabled: true,
			Examples: []string{"[Success] Weekly tape (2 objects) ", "[Warning] File archive to tape (1 objects) 1 warning"},
		},
		product: veeamBR, kinds: []string{"tape"},
	},
	{
		info: Info{
			Name: "veeam_configuration_job", BackupSoftware: "Veeam Backup & Replication", BackupTypes: []string{"Configuration Job"},
			Match: "a Veeam Backup & Replication configuration backup report (title \"Configuration Backup job\" or \"Backup Configuration Job\") with a [Result] subject or a status beside the title; any sender",
			Order: 124, Enabled: true,
			Examples: []string{"[Success] Backup Configuration Job (3/3/2026 10:01:12 AM)", "[Failed] Backup Configuration Job (03.03.2026 10:01:12)"},
		},
		product: veeamBR, kinds: []string{"configuration"}, objectType: "Catalog",
	},
	{
		info: Info{
			Name: "veeam_backup_job", BackupSoftware: "Veeam Backup & Replication", BackupTypes: []string{"Backup Job"},
			Match: "a Veeam Backup & Replication report titled \"Backup job: NAME\" (VMware, Hyper-V, vCloud) with a [Result] subject or a status beside the title; any sender",
			Order: 130, Enabled: true,
			Examples: []string{"[Success] Daily VMs (3 machines) ", "[Warning] Daily VMs (1 VMs) 1 warning", "[Failed] Daily VMs (2 objects) 1 failed"},
		},
		product: veeamBR, kinds: []string{"backup"}, objectType: "VM",
	},
}

func (p veeamJobParser) Info() Info { return p.info }

// Match claims a Veeam report of this parser's kind and product that carries a
// status, in the subject or beside the title; a mail that only talks about Veeam
// (a newsletter, a forwarded question) has neither.
func (p veeamJobParser) Match(m *Mail) bool {
	if p.subjectOnly(m) {
		return true
	}
	rep := veeamRead(m)
	if !slices.Contains(p.kinds, rep.kind()) || veeamProduct(m, rep) != p.product {
		return false
	}
	return veeamSubjectStatus(m.Subject) != "" || veeamStatus(rep.status) != ""
}

// subjectOnly reports whether the subject alone identifies the mail: VB365's default
// subject is distinctive enough, and it keeps a run when the body's layout differs
// from the one this parser knows.
func (p veeamJobParser) subjectOnly(m *Mail) bool {
	return p.product == veeamM365 && veeamM365SubjectRe.MatchString(m.Subject)
}

// Parse reads the run. Only a missing title or status fails it: dates, sizes and
// tables that cannot be read are left out.
func (p veeamJobParser) Parse(m *Mail) (*ParsedRun, error) {
	rep := veeamRead(m)
	if rep.kind() == "" && !p.subjectOnly(m) {
		return nil, errors.New("veeam: no report title (such as \"Backup job: NAME\") in the HTML body")
	}
	status := veeamSubjectStatus(m.Subject)
	if status == "" {
		status = veeamStatus(rep.status)
	}
	if status == "" {
		return nil, errors.New("veeam: no job result in the subject or beside the report title")
	}
	run := &ParsedRun{
		BackupSoftware: p.info.BackupSoftware,
		BackupType:     p.info.BackupTypes[0],
		Status:         status,
	}
	name, retry := veeamSplitRetry(rep.jobTitle())
	if retry == "" {
		_, retry = veeamSplitRetry(veeamSubjectRest(m.Subject))
	}
	var message []string
	if retry != "" {
		message = append(message, retry)
	}
	switch p.product {
	case veeamLinux:
		var backupType string
		name, backupType = veeamSplitLinuxBackupType(name)
		host, subjJob, subjType := veeamLinuxSubject(m.Subject)
		if name == "" {
			name = subjJob
		}
		if backupType == "" {
			backupType = subjType
		}
		if backupType != "" {
			message = append(message, backupType+" backup")
		}
		run.Host = host
	case veeamWindows:
		run.Host = veeamWindowsAgentHost(m.Subject, name)
	case veeamM365:
		if rep.kind() == "backup copy" {
			run.BackupType = "Backup Copy Job"
		}
		org, subjJob := veeamM365Subject(m.Subject)
		if v := veeamLabelled(rep.titleDesc, "organization"); v != "" {
			org = v
		} else if v := rep.fields["organization"]; v != "" {
			org = v
		}
		run.Host = org
		if name == "" {
			name = subjJob
		}
		// One VB365 server backs up many tenants, each may have a job "Mailboxes",
		// and a job is found by sender and name: name it as the subject does.
		if org != "" && name != "" {
			name = org + " - " + name
		}
	case veeamBR:
		if rep.kind() == "configuration" && name == "" {
			name = veeamConfigSubjectJob(m.Subject)
			if name == "" {
				name = "Configuration Backup"
			}
		}
	}
	if name == "" {
		name, _ = veeamSplitRetry(veeamSubjectJob(m.Subject))
	}
	if name == "" {
		return nil, errors.New("veeam: no job name in the report title or the subject")
	}
	run.JobName = name

	loc := m.SenderLocation()
	run.StartedAt, run.EndedAt = veeamSessionTimes(rep.sessionDate, rep.fields["start time"], rep.fields["end time"], rep.fields["duration"], loc)

	run.Objects = p.objects(rep)
	if p.product == veeamLinux || p.product == veeamWindows {
		if run.Host == "" && len(run.Objects) == 1 {
			run.Host = run.Objects[0].Name
		}
		// Standalone agents share sender addresses and job names ("daily") across
		// machines, and a job is found by sender and name: name it as the subject
		// does, computer first.
		if run.Host != "" {
			run.JobName = run.Host + " - " + run.JobName
		}
	}
	message = append(message, rep.details...)
	if len(rep.trailing) > 0 {
		message = append(message, rep.trailing...)
		// vee-mail writes the machine's errors below its row, not in a column.
		if len(run.Objects) == 1 && run.Objects[0].Error == "" && run.Objects[0].Status != StatusSuccess {
			run.Objects[0].Error = strings.Join(rep.trailing, "\n")
		}
	}
	run.Message = strings.Join(message, "\n")
	return run, nil
}

// objects reads the rows of every object table. The details of a row are kept as its
// error only when the row did not succeed: Veeam also prints notes ("Using backup
// repository …") and errors of earlier attempts on rows that succeeded in the end.
func (p veeamJobParser) objects(rep *veeamReport) []Object {
	var objs []Object
	for _, t := range rep.tables {
		name, status, details, typ := veeamColumns(t.header)
		if name < 0 {
			continue
		}
		for _, row := range t.rows {
			o := Object{Name: row[name].firstLine(), Type: p.objectType}
			if o.Name == "" {
				continue
			}
			if typ >= 0 && row[typ].text != "" {
				o.Type = row[typ].firstLine()
			} else if strings.HasPrefix(o.Name, "(vApp) ") {
				o.Type = "vApp"
			}
			if status >= 0 {
				o.Status = veeamStatus(row[status].text)
			}
			if details >= 0 && o.Status != StatusSuccess {
				o.Error = row[details].text
			}
			objs = append(objs, o)
		}
	}
	return objs
}

// veeamProduct tells which Veeam product wrote a report. The title's description
// names the standalone agents; a B&R report describes the job's creator there, so
// the rest of the text is only searched when the description is silent, and a
// mention of Backup & Replication wins over an agent named in some message.
func veeamProduct(m *Mail, rep *veeamReport) string {
	if veeamM365SubjectRe.MatchString(m.Subject) || veeamMentionsM365(rep.lower) {
		return veeamM365
	}
	if p := veeamAgentIn(strings.ToLower(rep.titleDesc)); p != "" {
		return p
	}
	if strings.Contains(rep.lower, "veeam backup & replication") || strings.Contains(rep.lower, "veeam backup and replication") {
		return veeamBR
	}
	if p := veeamAgentIn(rep.lower); p != "" {
		return p
	}
	return veeamBR
}

func veeamMentionsM365(lower string) bool {
	return strings.Contains(lower, "veeam backup for microsoft 365") ||
		strings.Contains(lower, "veeam backup for microsoft office 365") ||
		strings.Contains(lower, "veeam backup for office 365")
}

func veeamAgentIn(lower string) string {
	switch {
	case strings.Contains(lower, "veeam agent for linux"):
		return veeamLinux
	case strings.Contains(lower, "veeam agent for microsoft windows"), strings.Contains(lower, "veeam agent for windows"),
		strings.Contains(lower, "veeam endpoint backup"):
		return veeamWindows
	}
	return ""
}

// Subject shapes. Veeam's result is the bracketed word, which may follow a
// forwarding prefix ("Fwd: ") or a helpdesk's customer prefix.
var (
	veeamSubjectStatusRe = regexp.MustCompile(`(?i)\[(success|warning|failed|error)\]\s*(.*)$`)
	// "%JobName% (%ObjectCount% machines) %Issues%", also VMs/objects/instances.
	veeamSubjectCountRe = regexp.MustCompile(`(?i)^(.*?)\s*\(\d+\s+(?:machines?|vms?|objects?|instances?|servers?|computers?|workloads?)\)`)
	veeamRetryRe        = regexp.MustCompile(`(?i)\s*\(\s*retry\s+(\d+)\s*\)`)
	// "%JobName% (%Time%)" of the configuration backup.
	veeamConfigSubjectRe = regexp.MustCompile(`^(.*?)\s*\([^()]*[0-9][^()]*\)\s*$`)
	// VB365: "%OrgName% - %JobName% (%ObjectCount% objects), %Issues% issues".
	veeamM365SubjectRe = regexp.MustCompile(`(?i)\[(?:success|warning|failed|error)\]\s*(.+?)\s+-\s+(.+?)\s*\(\d+\s+objects?\)\s*,\s*\d+\s+issues?\s*$`)
	// vee-mail: "HOST - START (JOB - Full|Incremental)" or "HOST - START (JOB)".
	veeamLinuxSubjectRe = regexp.MustCompile(`^(\S+)\s+-\s+[^()]*?(?:\(([^()]*)\))?\s*$`)
)

// veeamSubjectStatus reads the [Success]/[Warning]/[Failed] of a subject ("" if none).
func veeamSubjectStatus(subject string) string {
	if m := veeamSubjectStatusRe.FindStringSubmatch(subject); m != nil {
		return veeamStatus(m[1])
	}
	return ""
}

// veeamSubjectRest is the subject after its [Result], trimmed ("" if none).
func veeamSubjectRest(subject string) string {
	if m := veeamSubjectStatusRe.FindStringSubmatch(subject); m != nil {
		return strings.TrimSpace(m[2])
	}
	return ""
}

// veeamSubjectJob reads the job name of a B&R subject "[Result] NAME (N VMs) issues";
// without the count the whole rest is the name.
func veeamSubjectJob(subject string) string {
	rest := veeamSubjectRest(subject)
	if m := veeamSubjectCountRe.FindStringSubmatch(rest); m != nil {
		return strings.TrimSpace(m[1])
	}
	return rest
}

// veeamConfigSubjectJob reads "[Result] Backup Configuration Job (3/3/2026 10:01:12 AM)".
func veeamConfigSubjectJob(subject string) string {
	rest := veeamSubjectRest(subject)
	if m := veeamConfigSubjectRe.FindStringSubmatch(rest); m != nil {
		return strings.TrimSpace(m[1])
	}
	return rest
}

// veeamSplitRetry takes "(Retry N)" out of a job name and returns it as "Retry N".
func veeamSplitRetry(name string) (string, string) {
	m := veeamRetryRe.FindStringSubmatch(name)
	if m == nil {
		return strings.TrimSpace(name), ""
	}
	return strings.TrimSpace(veeamRetryRe.ReplaceAllString(name, "")), "Retry " + m[1]
}

// veeamM365Subject reads the organisation and job of a VB365 default subject.
func veeamM365Subject(subject string) (org, job string) {
	if m := veeamM365SubjectRe.FindStringSubmatch(subject); m != nil {
		return strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
	}
	return "", ""
}

// veeamLinuxSubject reads vee-mail's "[Result] HOST - START (JOB - TYPE)"; older
// versions send "[Result] HOST - START" only.
func veeamLinuxSubject(subject string) (host, job, backupType string) {
	m := veeamLinuxSubjectRe.FindStringSubmatch(veeamSubjectRest(subject))
	if m == nil {
		return "", "", ""
	}
	job, backupType = veeamSplitLinuxBackupType(m[2])
	return m[1], job, backupType
}

// veeamSplitLinuxBackupType splits the backup type that vee-mail appends to the job
// name: "daily (Incremental)" in the title, "daily - Full" in the subject, and
// "daily ()" when the agent did not say.
func veeamSplitLinuxBackupType(s string) (job, backupType string) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	for _, t := range []struct{ suffix, name string }{
		{"()", ""}, {"(full)", "Full"}, {"(incremental)", "Incremental"}, {"(increment)", "Incremental"},
		{"- full", "Full"}, {"- incremental", "Incremental"}, {"- increment", "Incremental"},
	} {
		if strings.HasSuffix(lower, t.suffix) {
			return strings.TrimSpace(s[:len(s)-len(t.suffix)]), t.name
		}
	}
	return s, ""
}

// veeamWindowsAgentHost reads the computer of the agent's default subject
// "[Result] COMPUTER - JOB - TIME": what comes before " - JOB - ", or else before the
// first " - " (a computer name has no spaces).
func veeamWindowsAgentHost(subject, job string) string {
	rest := veeamSubjectRest(subject)
	if job != "" {
		if i := strings.Index(rest, " - "+job+" - "); i > 0 {
			return strings.TrimSpace(rest[:i])
		}
	}
	host, _, ok := strings.Cut(rest, " - ")
	if !ok || strings.ContainsAny(strings.TrimSpace(host), " \t") {
		return ""
	}
	return strings.TrimSpace(host)
}

// veeamLabelled finds "Label: value" in a description.
func veeamLabelled(text, label string) string {
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), label) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// veeamStatus maps Veeam's result words to a status; Error is Failed. Anything else
// ("None", "In progress", "Pending") is "".
func veeamStatus(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "success", "succeeded", "successful":
		return StatusSuccess
	case "warning", "warnings":
		return StatusWarning
	case "failed", "error", "errors", "failure":
		return StatusFailed
	}
	return ""
}
