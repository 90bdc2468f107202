package parsers

import (
	"errors"
	"regexp"
	"strings"
)

// 3CX sends its notifications through the customer's own mail server, so the
// sender says nothing; the subject is the stable part:
// "3CX Notification: <event> - <FQDN>[ - <detail>]" (older versions say
// "3CX Phone System Notification").

const threecxSoftware = "3CX"

type threecxKind int

const (
	threecxBackup threecxKind = iota
	threecxUpdate
	threecxCertificate
)

func init() {
	register(threecxParser{kind: threecxBackup, job: "3CX Backup", backupType: "Backup", info: Info{
		Name: "threecx_backup", BackupSoftware: threecxSoftware, BackupTypes: []string{"Backup"},
		Match:    `subject "3CX Notification: Backup <result> - <host>" (not restore)`,
		Order:    400,
		Enabled:  true,
		Examples: []string{"3CX Notification: Backup Complete - pbx.example.com", "3CX Notification: Backup Failed - pbx.example.com"},
	}})
	register(threecxParser{kind: threecxUpdate, job: "3CX Update", backupType: "Update", info: Info{
		Name: "threecx_update", BackupSoftware: threecxSoftware, BackupTypes: []string{"Update"},
		Match:         `subject "3CX Notification: Update … - <host>" (e.g. Update Successful)`,
		Order:         405,
		Enabled:       true,
		Informational: true,
		Examples:      []string{"3CX Notification: Update Successful - pbx.example.com"},
	}})
	register(threecxParser{kind: threecxCertificate, job: "3CX SSL Certificate", backupType: "SSL Certificate", info: Info{
		Name: "threecx_ssl_certificate", BackupSoftware: threecxSoftware, BackupTypes: []string{"SSL Certificate"},
		Match:         `subject "3CX Notification: SSL Certificate … - <host>" (renewed, renewal, expiring)`,
		Order:         410,
		Enabled:       true,
		Informational: true,
		Examples:      []string{"3CX Notification: SSL Certificate Renewal - pbx.example.com - The SSL Certificate was automatically renewed for the next 90 days"},
	}})
}

var (
	// Group 1 is the event, group 2 the host, group 3 an optional detail sentence.
	threecxSubjectRe = regexp.MustCompile(`(?i)^(?:(?:re|fw|fwd|aw|tr|wg)\s*:\s*)*3CX(?:\s+Phone\s+System)?\s+Notification\s*:\s*(.+?)(?:\s+[-–]\s+(\S+)(?:\s+[-–]\s+(.*))?)?\s*$`)
	threecxBackupRe  = words(`backup`)
	threecxRestoreRe = words(`restore|restored`)
	threecxCertRe    = words(`ssl|tls|certificates?`)
	threecxUpdateRe  = words(`update|updates|updated|upgrade|upgraded`)
	threecxStatus    = statusWords{
		failed:  words(`fail|failed|failure|error|errors|unsuccessful|not completed|could not`),
		warning: words(`warning|warnings|partially`),
		success: words(`success|successful|successfully|succeeded|complete|completed|ok|done|finished`),
	}
	threecxRenewedRe = words(`renewed|renewal|renew`)
	threecxFQDNRe    = fieldPattern("FQDN", "Host", "Server", "PBX")
)

// threecxEvent splits a 3CX subject into event, host and detail; ok is false for
// any other subject.
func threecxEvent(subject string) (event, host, detail string, ok bool) {
	sm := threecxSubjectRe.FindStringSubmatch(strings.TrimSpace(normaliseSpaces(subject)))
	if sm == nil {
		return "", "", "", false
	}
	return strings.TrimSpace(sm[1]), trimName(sm[2]), strings.TrimSpace(sm[3]), true
}

// threecxKindOf classifies an event; backup is checked first so "Backup Failed"
// never reads as an update.
func threecxKindOf(event string) (threecxKind, bool) {
	switch {
	case threecxBackupRe.MatchString(event) && !threecxRestoreRe.MatchString(event):
		return threecxBackup, true
	case threecxCertRe.MatchString(event):
		return threecxCertificate, true
	case threecxUpdateRe.MatchString(event):
		return threecxUpdate, true
	}
	return 0, false
}

// threecxParser parses one kind of 3CX notification.
type threecxParser struct {
	kind       threecxKind
	job        string
	backupType string
	info       Info
}

func (p threecxParser) Info() Info { return p.info }

func (p threecxParser) Match(m *Mail) bool {
	event, _, _, ok := threecxEvent(m.Subject)
	if !ok {
		return false
	}
	k, ok := threecxKindOf(event)
	return ok && k == p.kind
}

func (p threecxParser) Parse(m *Mail) (*ParsedRun, error) {
	event, host, detail, _ := threecxEvent(m.Subject)
	body := plainMailText(m)
	if host == "" {
		host = trimName(fieldValue(threecxFQDNRe, body))
	}
	msg := detail
	if msg == "" {
		msg = firstLine(body)
	}
	if msg == "" {
		msg = event
	}
	run := &ParsedRun{BackupSoftware: threecxSoftware, BackupType: p.backupType, JobName: p.job, Host: host, Message: msg}
	outcome := event + "\n" + detail
	switch p.kind {
	case threecxBackup:
		run.Status = threecxStatus.of(outcome)
		if run.Status == "" {
			run.Status = threecxStatus.of(firstLine(body))
		}
		if run.Status == "" {
			return nil, errors.New("3cx: backup notification without a result word")
		}
	case threecxUpdate:
		// Informational: an update that did not go through is reported in the
		// message, not as a failed backup.
		run.Status = StatusInfo
		if threecxStatus.of(outcome) == StatusSuccess {
			run.Status = StatusSuccess
		}
	case threecxCertificate:
		run.Status = StatusInfo
		if threecxRenewedRe.MatchString(outcome) && threecxStatus.of(outcome) != StatusFailed {
			run.Status = StatusSuccess
		}
	}
	return run, nil
}
