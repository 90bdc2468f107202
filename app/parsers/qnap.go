package parsers

import (
	"errors"
	"regexp"
	"strings"
)

// QNAP Hybrid Backup Sync results arrive as QTS Notification Center mails: subject
// "[<Severity>][Hybrid Backup Sync] Notification from your device: <NAS>" and a body
// of "Label: value" lines (NAS Name, Severity, Date/Time, App Name, Category,
// Message) in the NAS's language; the Message holds the event, e.g.
// `[Hybrid Backup Sync] Finished Backup job: "Daily".`

const qnapSoftware = "QNAP Hybrid Backup Sync"

func init() { register(qnapParser{}) }

var (
	qnapAppRe         = regexp.MustCompile(`(?i)Hybrid\s*Backup\s*Sync|\bHBS\s*3\b`)
	qnapMessageField  = fieldPattern("Message", "Content", "Messaggio", "Nachricht", "Bericht", "Mensaje", "Mensagem")
	qnapSeverityField = fieldPattern("Severity", "Level", "Gravità", "Schweregrad", "Gravité", "Niveau", "Ernst", "Ernstniveau")
	qnapHostField     = fieldPattern("NAS Name", "Server Name", "Device Name", "Device", "Nome NAS", "NAS-Name", "Nom du NAS", "NAS-naam")
	qnapTimeField     = fieldPattern("Date/Time", "Date", "Time", "Data/Ora", "Datum/Uhrzeit", "Date/Heure", "Datum/tijd")
	qnapSubjectHostRe = regexp.MustCompile(`(?i)(?:device|dispositivo|Gerät|appareil|apparaat)\s*:\s*(\S+)\s*$`)
	qnapJobRe         = regexp.MustCompile(`(?i)job\s*:?\s*["“'‘]([^"”'’]+)["”'’]`)
	qnapKindRe        = regexp.MustCompile(`(?i)\b(backup|sync|synchronization|restore|replication)\s+job\b`)
	qnapStartedRe     = words(`started|starting|avviato|avviata|gestartet|démarré|démarrée|gestart`)
	qnapStatus        = statusWords{
		failed:  words(`fail|failed|failure|errors?|unsuccessful|could not|unable|fallito|fallita|non riuscito|non riuscita|errore|fehlgeschlagen|échoué|échec|mislukt`),
		warning: words(`warnings?|partially|skipped|stopped|cancell?ed|aborted|avviso|avvisi|Warnung(en)?|avertissements?|waarschuwing(en)?|interrotto|abgebrochen`),
		success: words(`finished|completed|complete|succeeded|successfully|success|completato|completata|terminato|terminata|riuscito|abgeschlossen|terminé|terminée|voltooid`),
	}
	qnapSeverityStatus = statusWords{
		failed:  words(`error|errore|Fehler|erreur|fout|critical`),
		warning: words(`warning|avviso|Warnung|avertissement|waarschuwing`),
	}
)

type qnapParser struct{}

func (qnapParser) Info() Info {
	return Info{
		Name: "qnap_hybrid_backup_sync", BackupSoftware: qnapSoftware,
		BackupTypes: []string{"Backup Job", "Sync Job", "Replication Job"},
		Match:       `"Hybrid Backup Sync" in subject or body of a QTS notification with a job name in quotes (restore jobs excluded)`,
		Order:       500,
		Enabled:     true,
		Examples:    []string{`[Info][Hybrid Backup Sync] Notification from your device: nas01`, `[Error][Hybrid Backup Sync] Notification from your device: nas01`},
	}
}

func (qnapParser) Match(m *Mail) bool {
	body := plainMailText(m)
	if !qnapAppRe.MatchString(m.Subject + "\n" + body) {
		return false
	}
	msg := qnapMessage(body)
	if sm := qnapKindRe.FindStringSubmatch(msg); sm != nil && strings.EqualFold(sm[1], "restore") {
		return false // a restore is not a backup run
	}
	return qnapJobRe.MatchString(msg)
}

// qnapMessage is the event text: the Message field, or the body when the mail
// has no fields (a forwarded or trimmed notification).
func qnapMessage(body string) string {
	if v := fieldValue(qnapMessageField, body); v != "" {
		return v
	}
	return body
}

func (qnapParser) Parse(m *Mail) (*ParsedRun, error) {
	subject := strings.TrimSpace(normaliseSpaces(m.Subject))
	body := plainMailText(m)
	msg := qnapMessage(body)
	sm := qnapJobRe.FindStringSubmatch(msg)
	if sm == nil {
		return nil, errors.New("qnap: no job name in the message")
	}
	job := trimName(sm[1])
	status := qnapStatus.of(msg)
	if status == "" && qnapStartedRe.MatchString(msg) {
		// Start notices precede the result mail; they are not a run.
		return nil, errors.New("qnap: job start notice, not a result")
	}
	if status == "" {
		status = qnapSeverityStatus.of(fieldValue(qnapSeverityField, body))
	}
	if status == "" {
		return nil, errors.New("qnap: no result in the message")
	}
	host := trimName(fieldValue(qnapHostField, body))
	if host == "" {
		if hs := qnapSubjectHostRe.FindStringSubmatch(subject); hs != nil {
			host = trimName(hs[1])
		}
	}
	backupType := "Backup Job"
	if ks := qnapKindRe.FindStringSubmatch(msg); ks != nil {
		switch strings.ToLower(ks[1]) {
		case "sync", "synchronization":
			backupType = "Sync Job"
		case "replication":
			backupType = "Replication Job"
		}
	}
	msgText := strings.TrimSpace(strings.TrimPrefix(firstLine(msg), "[Hybrid Backup Sync]"))
	run := &ParsedRun{
		BackupSoftware: qnapSoftware, BackupType: backupType, JobName: job, Status: status,
		Host: host, Message: msgText,
	}
	// The notification time is when the result was logged: the end of the run.
	run.EndedAt = parseTimeLayouts(fieldValue(qnapTimeField, body), mailLocation(m),
		"2006/01/02 15:04:05", "2006-01-02 15:04:05", "2006/01/02 15:04", "02/01/2006 15:04:05")
	return run, nil
}
