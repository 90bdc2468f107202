package parsers

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Synology DSM mails come from whatever address the customer configured and in the
// NAS's display language, with a subject prefix the customer chose ("[nas01]",
// "NAS01 : ", "rsync NAS01"). So the parsers match on product wording, read the
// status from localised words (English, Dutch, French, German), and take the task
// from a labelled body field before falling back to the subject sentence.

const synologySoftware = "Synology"

// Backup types the Synology parsers report.
const (
	synologyTypeActiveBackup    = "Active Backup for Business"
	synologyTypeM365            = "Active Backup for Microsoft 365"
	synologyTypeC2              = "C2 Cloud Backup"
	synologyTypeHyperBackup     = "Hyper Backup"
	synologyTypeIntegrityCheck  = "Hyper Backup Integrity Check"
	synologyTypeUpdates         = "Updates"
	synologyTypeSecurityAdvisor = "Security Advisor"
	synologyTypeAccountProtect  = "Account Protection"
)

func init() {
	register(synologyNoticeParser{
		info: Info{
			Name: "synology_dsm_update", BackupSoftware: synologySoftware, BackupTypes: []string{synologyTypeUpdates},
			Match:         "DSM update / DSM and packages out of date wording (Automatic DSM update, DSM-update op, DSM et des paquets … obsolètes, DSM-Update auf …)",
			Order:         200,
			Enabled:       true,
			Informational: true,
			Examples:      []string{"[nas01] DSM and packages on nas01 are out of date", "Automatische DSM-update op nas01 is voltooid"},
		},
		job: "Synology Automatic Update", backupType: synologyTypeUpdates,
		match:  synologyIsUpdateNotice,
		status: synologyUpdateStatus,
	})
	register(synologyNoticeParser{
		info: Info{
			Name: "synology_firmware_update", BackupSoftware: synologySoftware, BackupTypes: []string{synologyTypeUpdates},
			Match:         "Synology/DSM mail about a firmware update (drive or device firmware)",
			Order:         205,
			Enabled:       true,
			Informational: true,
			Examples:      []string{"[nas01] New drive firmware is available on nas01"},
		},
		job: "Synology Firmware Update", backupType: synologyTypeUpdates,
		match: func(subject, body string) bool {
			all := subject + "\n" + body
			return synologyFirmwareRe.MatchString(all) && synologyHasContext(subject, body)
		},
		status: synologyUpdateStatus,
	})
	register(synologyNoticeParser{
		info: Info{
			Name: "synology_security_advisor", BackupSoftware: synologySoftware, BackupTypes: []string{synologyTypeSecurityAdvisor},
			Match:         "Security Advisor scan results (Security Advisor, Conseiller de sécurité, Beveiligingsadviseur, Sicherheitsberater)",
			Order:         210,
			Enabled:       true,
			Informational: true,
			Examples:      []string{"[nas01] Security risks detected on nas01"},
		},
		job: "Synology Security Advisor", backupType: synologyTypeSecurityAdvisor,
		match: func(subject, body string) bool {
			return synologyAdvisorRe.MatchString(subject + "\n" + body)
		},
		status: func(subject, body string) string {
			if synologyNoRiskRe.MatchString(subject + "\n" + body) {
				return StatusSuccess
			}
			return StatusInfo
		},
	})
	register(synologyNoticeParser{
		info: Info{
			Name: "synology_account_protection", BackupSoftware: synologySoftware, BackupTypes: []string{synologyTypeAccountProtect},
			Match:         "DSM Account Protection notices (Account Protection, protection du compte, Accountbeveiliging, Kontoschutz)",
			Order:         215,
			Enabled:       true,
			Informational: true,
			Examples:      []string{"[nas01] Account Protection on nas01 blocked a client"},
		},
		job: "Synology Account Protection", backupType: synologyTypeAccountProtect,
		match: func(subject, body string) bool {
			return synologyAccountProtectRe.MatchString(subject+"\n"+body) && synologyHasContext(subject, body)
		},
		status: func(string, string) string { return StatusInfo },
	})

	register(synologyTaskParser{
		info: Info{
			Name: "synology_active_backup", BackupSoftware: synologySoftware, BackupTypes: []string{synologyTypeActiveBackup},
			Match:    `"Active Backup for Business" with a task status (completed / partially completed / failed, in English, Dutch, French or German); restore tasks excluded`,
			Order:    220,
			Enabled:  true,
			Examples: []string{"[nas01] Active Backup for Business - Backup task Daily PCs on nas01 has been completed"},
		},
		backupType: synologyTypeActiveBackup,
		product:    func(subject, all string) bool { return synologyABBRe.MatchString(all) },
		devices:    true,
	})
	register(synologyTaskParser{
		info: Info{
			Name: "synology_active_backup_m365", BackupSoftware: synologySoftware, BackupTypes: []string{synologyTypeM365},
			Match:    `"Active Backup for Microsoft 365" (or Office 365) with a task status`,
			Order:    225,
			Enabled:  true,
			Examples: []string{"Active Backup for Microsoft 365 - backup task [Mail backup] on [nas01] was completed"},
		},
		backupType: synologyTypeM365,
		product:    func(subject, all string) bool { return synologyM365Re.MatchString(all) },
	})
	register(synologyTaskParser{
		info: Info{
			Name: "synology_c2_backup", BackupSoftware: synologySoftware, BackupTypes: []string{synologyTypeC2},
			Match:    `subject names "Synology C2" with a backup task status (e.g. "Synology C2 cloud backup - <task> successful on <host>")`,
			Order:    230,
			Enabled:  true,
			Examples: []string{"[CMS]Synology C2 cloud backup - Offsite copy successful on nas01"},
		},
		backupType: synologyTypeC2,
		product: func(subject, all string) bool {
			return synologyC2Re.MatchString(subject) && synologyBackupWordRe.MatchString(subject)
		},
	})
	register(synologyTaskParser{
		info: Info{
			Name: "synology_hyper_backup", BackupSoftware: synologySoftware, BackupTypes: []string{synologyTypeHyperBackup, synologyTypeIntegrityCheck},
			Match:    `"Hyper Backup" or a ".hbk" destination, or a "Network/Local/Cloud/Data backup" subject on a DSM mail, with a status (succeeded / partially completed / failed, 4 languages)`,
			Order:    235,
			Enabled:  true,
			Examples: []string{"[nas01] Network backup - Task Nightly succeeded on nas01", "Data backup task on nas01 partially completed"},
		},
		backupType: synologyTypeHyperBackup,
		product: func(subject, all string) bool {
			if synologyHyperRe.MatchString(all) {
				return true
			}
			return synologyHyperKindRe.MatchString(subject) && synologyHasContext(subject, all)
		},
		integrity: true,
	})
}

var (
	// Status words, worst first: a subject with "partially completed" must not read
	// as completed, and "nicht erfolgreich" must not read as "erfolgreich".
	synologyFailedWords  = words(`failed|failure|unsuccessful|encountered an error|errors?|échoué|échouée|échec|echec|erreurs?|n'a pas réussi|mislukt|niet gelukt|fout|fehlgeschlagen|nicht erfolgreich|Fehler`)
	synologyWarningWords = words(`partially|partial|partiellement|gedeeltelijk|teilweise|cancell?ed|annulée|annulé|geannuleerd|abgebrochen|warnings?|avertissements?|waarschuwing(en)?|Warnung(en)?`)
	synologySuccessWords = words(`completed|complete|succeeded|successful(ly)?|success|finished|terminée|terminé|réussi|réussie|succès|voltooid|gelukt|geslaagd|succesvol|abgeschlossen|erfolgreich|fertiggestellt`)

	synologyABBRe        = regexp.MustCompile(`(?i)Active Backup for Business`)
	synologyM365Re       = regexp.MustCompile(`(?i)Active Backup for (?:Microsoft|Office) 365`)
	synologyC2Re         = regexp.MustCompile(`(?i)Synology C2`)
	synologyBackupWordRe = words(`backup|back-up|sauvegarde|Sicherung|Datensicherung`)
	synologyHyperRe      = regexp.MustCompile(`(?i)Hyper ?Backup|\.hbk\b`)
	// Hyper Backup subjects name the destination kind ("Network backup - …",
	// "Data backup task on …") rather than the package.
	synologyHyperKindRe = words(`(?:network|local|cloud|data|remote|rsync|usb) backup|sauvegarde (?:réseau|locale)|netwerkback-?up|lokale back-?up|Netzwerk-?(?:Backup|Sicherung)|lokale Sicherung`)
	synologyRestoreRe   = words(`restore|restoration|restauration|restaurer|herstel|herstellen|Wiederherstellung|relink`)
	synologyIntegrityRe = words(`integrity|intégrité|integriteit|Integrität|Integritätsprüfung`)
	synologyContextRe   = words(`DSM|Synology|DiskStation|RackStation|FlashStation`)

	// The DSM footer is "From <host>" in the NAS's language; some DSM 7 mails end
	// with "Synology – <host>" instead.
	synologyFooterRe      = regexp.MustCompile(`(?i)^(?:From|De|Van|Von|Da)\s+([\p{L}\p{N}][\p{L}\p{N}._-]*)$`)
	synologyBrandFooterRe = regexp.MustCompile(`(?i)^Synology\s*[-–—]\s*([\p{L}\p{N}][\p{L}\p{N}._-]*)$`)
	// " on <host>" in each language; the last one in a subject is the NAS.
	synologyOnHostRe = regexp.MustCompile(`(?i)\s(?:on|sur|op|auf)\s+\[?([\p{L}\p{N}][\p{L}\p{N}._-]*)\]?`)

	// The product label and " - " that precede the task sentence in a subject.
	synologySubjectProductRe = regexp.MustCompile(`(?i)(?:Active Backup for Business|Active Backup for (?:Microsoft|Office) 365|Synology C2[\p{L} ]*?|Hyper ?Backup(?: Vault)?|\p{L}+ (?:backup|back-up|sauvegarde|Sicherung))\s*[-–]\s+(.+)$`)
	synologyTaskPrefixRe     = regexp.MustCompile(`(?i)^(?:(?:la|le|the|de|die|uw|ihre|votre|your)\s+)?(?:(?:data\s+)?backup[- ]?task|back-?uptaak|backup-aufgabe|sicherungsaufgabe|tâche(?:\s+de\s+sauvegarde)?|task|taak|aufgabe)\s+`)
	synologyTaskTailRe       = regexp.MustCompile(`(?i)\s+(?:(?:has|have|was|is|a|est|ist|wurde|werd|été|been|now|nu)\s+)*(?:successfully\s+|partially\s+|partiellement\s+|gedeeltelijk\s+|teilweise\s+)?(?:completed|complete|succeeded|successful|failed|finished|terminée|terminé|réussi|effectuée avec succès|effectuée|échoué|voltooid|mislukt|gelukt|geslaagd|abgeschlossen|fehlgeschlagen|erfolgreich)(?:\s+(?:successfully|avec succès|erfolgreich))?\s*$`)
	synologyTaskSentenceRe   = regexp.MustCompile(`(?i)(?:backup task|tâche de sauvegarde(?: complète du système)?|back-?uptaak|Backup-Aufgabe|Sicherungsaufgabe)\s+(.+?)\s+(?:is now complete|was|has|is|on|sur|est|a|op|auf|ist|wurde|encountered|failed|partially)(?:\s|\.|$)`)
	synologyTaskFieldRe      = fieldPattern("Backup Task", "Backup task name", "Task Name", "Task", "Tâche de sauvegarde", "Nom de la tâche", "Back-uptaak", "Backuptaak", "Taaknaam", "Naam van taak", "Backup-Aufgabe", "Sicherungsaufgabe", "Aufgabenname", "Name der Aufgabe")
	synologyDeviceFieldRe    = fieldPattern("Device list", "Devices", "Device", "Liste des périphériques", "Périphériques", "Apparatenlijst", "Apparaatlijst", "Lijst met apparaten", "Apparaten", "Geräteliste", "Geräte")
	synologyDestinationRe    = fieldPattern("Backup Destination", "Destination", "Destination de la sauvegarde", "Back-upbestemming", "Bestemming", "Sicherungsziel", "Ziel")

	synologyStartLabelRe    = regexp.MustCompile(`(?i)(?:(Start time|Started|Begin time)|(Heure de début|Starttijd|Begintijd|Startzeit|Beginn))\s*:\s*`)
	synologyEndLabelRe      = regexp.MustCompile(`(?i)(?:(End time|Finished|Completed at)|(Heure de fin|Eindtijd|Endzeit|Ende))\s*:\s*`)
	synologyDurationLabelRe = regexp.MustCompile(`(?i)(?:Duration|Durée|Duur|Dauer)\s*:\s*`)
	synologyNumericDateRe   = regexp.MustCompile(`^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?`)
	synologyDayMonthDateRe  = regexp.MustCompile(`^(?:\p{L}+\.?,?\s+)?(\d{1,2})\.?\s+(\p{L}+)\.?\s+(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?`)
	synologyMonthDayDateRe  = regexp.MustCompile(`^(?:\p{L}+\.?,?\s+)?(\p{L}+)\.?\s+(\d{1,2}),?\s+(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?`)
	synologyDurationPartRe  = regexp.MustCompile(`(\d+)\s*(\p{L}+)`)

	synologyUpdateRe = regexp.MustCompile(`(?i)DSM[- ]?(?:update|upgrade)|mise à jour (?:automatique )?(?:de |du )?DSM|DSM (?:et|and|en|und) (?:\d+ |des |de )?(?:paquets?|packages?|pakketten|Pakete)|DSM[^\n]{0,40}?(?:out[- ]of[- ]date|obsolète|verouderd|veraltet)|new (?:version of )?DSM|nouvelle version de DSM|nieuwe DSM|neue DSM`)
	// Package-only notices need a DSM context, checked by the caller.
	synologyPackageUpdateRe  = regexp.MustCompile(`(?i)(?:packages?|paquets?|pakketten|Pakete)[^\n]{0,60}?(?:updated|out[- ]of[- ]date|mis à jour|obsolètes?|bijgewerkt|verouderd|aktualisiert|veraltet)`)
	synologyOutdatedRe       = regexp.MustCompile(`(?i)out[- ]of[- ]date|obsolète|verouderd|veraltet|available|disponible|beschikbaar|verfügbar`)
	synologyFirmwareRe       = words(`firmware|micrologiciel|Firmware-Update`)
	synologyAdvisorRe        = regexp.MustCompile(`(?i)Security Advisor|Conseiller de sécurité|Beveiligingsadviseur|Sicherheitsberater|security risks? (?:detected|found)|risques de sécurité|beveiligingsrisico|Sicherheitsrisik`)
	synologyNoRiskRe         = regexp.MustCompile(`(?i)no (?:security )?risks?|aucun risque|geen (?:beveiligings)?risico|keine (?:Sicherheits)?risiken`)
	synologyAccountProtectRe = regexp.MustCompile(`(?i)Account Protection|protection (?:du|des|de) comptes?|Accountbeveiliging|Kontoschutz`)
)

// synologyStatus reads the worst status word in s; "" when there is none.
func synologyStatus(s string) string {
	switch {
	case synologyFailedWords.MatchString(s):
		return StatusFailed
	case synologyWarningWords.MatchString(s):
		return StatusWarning
	case synologySuccessWords.MatchString(s):
		return StatusSuccess
	}
	return ""
}

// synologyLead is the opening of a body: its first two lines carry the outcome
// sentence; later lines are figures that may contain words like "errors".
func synologyLead(body string) string {
	var lead []string
	for _, l := range strings.Split(body, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lead = append(lead, l)
			if len(lead) == 2 {
				break
			}
		}
	}
	return strings.Join(lead, "\n")
}

// synologyHasContext reports whether a mail is recognisably from DSM: it names
// DSM/Synology or ends with the DSM "From <host>" footer.
func synologyHasContext(subject, body string) bool {
	return synologyContextRe.MatchString(subject+"\n"+body) || synologyFooterHost(body) != ""
}

// synologyFooterHost is the NAS name from the closing "From <host>" line.
func synologyFooterHost(body string) string {
	l := lastLine(body)
	if sm := synologyFooterRe.FindStringSubmatch(l); sm != nil {
		return sm[1]
	}
	if sm := synologyBrandFooterRe.FindStringSubmatch(l); sm != nil {
		return sm[1]
	}
	return ""
}

// synologyHost finds the NAS name: the last "on/sur/op/auf <host>" of the subject
// (the user-set subject prefix is not reliable), then the footer, then the body.
func synologyHost(subject, body string) string {
	if all := synologyOnHostRe.FindAllStringSubmatch(subject, -1); len(all) > 0 {
		return trimName(all[len(all)-1][1])
	}
	if h := synologyFooterHost(body); h != "" {
		return h
	}
	if sm := synologyOnHostRe.FindStringSubmatch(synologyLead(body)); sm != nil {
		return trimName(sm[1])
	}
	return ""
}

// synologyTaskName finds the task: a labelled body field, else the subject's task
// sentence, else the body's opening sentence.
func synologyTaskName(subject, body string) string {
	if v := fieldValue(synologyTaskFieldRe, body); v != "" {
		return trimName(v)
	}
	if t := synologySubjectTask(subject); t != "" {
		return t
	}
	if sm := synologyTaskSentenceRe.FindStringSubmatch(synologyLead(body)); sm != nil {
		return trimName(sm[1])
	}
	return ""
}

// synologySubjectTask cuts the task out of "<product> - [the task] <task> [status]
// on <host> [status]".
func synologySubjectTask(subject string) string {
	sm := synologySubjectProductRe.FindStringSubmatch(subject)
	if sm == nil {
		return ""
	}
	rest := synologyTaskPrefixRe.ReplaceAllString(strings.TrimSpace(sm[1]), "")
	if strings.HasPrefix(rest, "[") {
		if i := strings.Index(rest, "]"); i > 0 {
			return trimName(rest[1:i])
		}
	}
	if locs := synologyOnHostRe.FindAllStringIndex(rest, -1); len(locs) > 0 {
		rest = rest[:locs[len(locs)-1][0]]
	}
	rest = synologyTaskTailRe.ReplaceAllString(rest, "")
	return trimName(rest)
}

// synologyMessage is the opening paragraph of the body (the outcome sentence and,
// for failures, DSM's advice).
func synologyMessage(body string) string {
	var para []string
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if len(para) > 0 {
				break
			}
			continue
		}
		if isFieldLine(l) || synologyListItemRe.MatchString(l) {
			break // field lines or numbered steps start: the paragraph is over
		}
		para = append(para, l)
		if len(para) == 3 {
			break
		}
	}
	msg := strings.Join(para, " ")
	if len(msg) > 400 {
		msg = msg[:400]
	}
	return msg
}

var synologyListItemRe = regexp.MustCompile(`^\d+\.\s`)

// isFieldLine reports whether l is a "Label: value" line (a short label before the
// colon), as opposed to a sentence that happens to contain or end with one.
func isFieldLine(l string) bool {
	i := strings.IndexByte(l, ':')
	return i > 0 && i <= 40 && (i == len(l)-1 || l[i+1] == ' ' || l[i+1] == '\t')
}

// synologyMonths maps month names and abbreviations in the four languages.
var synologyMonths = map[string]time.Month{
	"jan": 1, "january": 1, "janv": 1, "janvier": 1, "januari": 1, "januar": 1, "jän": 1,
	"feb": 2, "february": 2, "fév": 2, "févr": 2, "février": 2, "fev": 2, "februari": 2, "februar": 2,
	"mar": 3, "march": 3, "mars": 3, "maart": 3, "mrt": 3, "mär": 3, "märz": 3, "mrz": 3,
	"apr": 4, "april": 4, "avr": 4, "avril": 4,
	"may": 5, "mai": 5, "mei": 5,
	"jun": 6, "june": 6, "juin": 6, "juni": 6,
	"jul": 7, "july": 7, "juil": 7, "juillet": 7, "juli": 7,
	"aug": 8, "august": 8, "aoû": 8, "août": 8, "aout": 8, "augustus": 8,
	"sep": 9, "sept": 9, "september": 9, "septembre": 9,
	"oct": 10, "october": 10, "octobre": 10, "okt": 10, "oktober": 10,
	"nov": 11, "november": 11, "novembre": 11,
	"dec": 12, "december": 12, "déc": 12, "décembre": 12, "dez": 12, "dezember": 12,
}

// synologyParseDate reads a DSM date at the start of s. Numeric dates follow the
// NAS's regional format: day first in French, Dutch and German, and in English only
// when the numbers say so (an ambiguous English date is left unread).
func synologyParseDate(s string, dayFirst bool, loc *time.Location) *time.Time {
	atoi := func(v string) int { n, _ := strconv.Atoi(v); return n }
	build := func(y, mo, d int, hh, mm, ss string) *time.Time {
		if y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 {
			return nil
		}
		h, mi, se := atoi(hh), atoi(mm), atoi(ss)
		if h > 23 || mi > 59 || se > 59 {
			return nil
		}
		t := time.Date(y, time.Month(mo), d, h, mi, se, 0, loc)
		if t.Day() != d {
			return nil // 31 February and the like
		}
		return &t
	}
	if sm := synologyNumericDateRe.FindStringSubmatch(s); sm != nil {
		a, b, c := atoi(sm[1]), atoi(sm[2]), atoi(sm[3])
		if len(sm[1]) == 4 {
			return build(a, b, c, sm[4], sm[5], sm[6])
		}
		switch {
		case a > 12:
			return build(c, b, a, sm[4], sm[5], sm[6])
		case b > 12:
			return build(c, a, b, sm[4], sm[5], sm[6])
		case dayFirst:
			return build(c, b, a, sm[4], sm[5], sm[6])
		}
		return nil
	}
	if sm := synologyDayMonthDateRe.FindStringSubmatch(s); sm != nil {
		if mo, ok := synologyMonths[strings.ToLower(sm[2])]; ok {
			return build(atoi(sm[3]), int(mo), atoi(sm[1]), sm[4], sm[5], sm[6])
		}
	}
	if sm := synologyMonthDayDateRe.FindStringSubmatch(s); sm != nil {
		if mo, ok := synologyMonths[strings.ToLower(sm[1])]; ok {
			return build(atoi(sm[3]), int(mo), atoi(sm[2]), sm[4], sm[5], sm[6])
		}
	}
	return nil
}

// synologyTimeAfter parses the date that follows a label (labels are found
// anywhere, since some DSM mails run their field lines together).
func synologyTimeAfter(re *regexp.Regexp, body string, loc *time.Location) *time.Time {
	for _, idx := range re.FindAllStringSubmatchIndex(body, -1) {
		localLabel := idx[4] >= 0 // the second group holds the non-English labels
		rest := body[idx[1]:]
		if len(rest) > 80 {
			rest = rest[:80]
		}
		if t := synologyParseDate(rest, localLabel, loc); t != nil {
			return t
		}
	}
	return nil
}

// synologyDuration reads "4 minutes 7 secondes", "36 Minute 10 Second",
// "1 uur 2 minuten", "1 Stunde 5 Sekunden".
func synologyDuration(body string) (time.Duration, bool) {
	loc := synologyDurationLabelRe.FindStringIndex(body)
	if loc == nil {
		return 0, false
	}
	line := body[loc[1]:]
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	var d time.Duration
	found := false
	for _, sm := range synologyDurationPartRe.FindAllStringSubmatch(line, 6) {
		n, err := strconv.Atoi(sm[1])
		if err != nil || n > 100000 {
			continue
		}
		unit := strings.ToLower(sm[2])
		switch {
		case strings.HasPrefix(unit, "d") || strings.HasPrefix(unit, "j") || strings.HasPrefix(unit, "t"):
			d += time.Duration(n) * 24 * time.Hour // day, jour, dag, Tag
		case strings.HasPrefix(unit, "h") || strings.HasPrefix(unit, "u") || strings.HasPrefix(unit, "st"):
			d += time.Duration(n) * time.Hour // hour, heure, uur, Stunde
		case strings.HasPrefix(unit, "m"):
			d += time.Duration(n) * time.Minute
		case strings.HasPrefix(unit, "s"):
			d += time.Duration(n) * time.Second
		default:
			continue
		}
		found = true
	}
	return d, found
}

// synologyTimes reads start and end (or start plus duration) from the body.
func synologyTimes(body string, loc *time.Location) (start, end *time.Time) {
	start = synologyTimeAfter(synologyStartLabelRe, body, loc)
	end = synologyTimeAfter(synologyEndLabelRe, body, loc)
	if start != nil && end == nil {
		if d, ok := synologyDuration(body); ok {
			e := start.Add(d)
			end = &e
		}
	}
	if start != nil && end != nil && end.Before(*start) {
		end = nil
	}
	return start, end
}

// synologyDevices lists the devices of an Active Backup for Business task. The
// mail has no per-device result, so a device carries the task's status only when
// that status can only be its own (success, or a single device).
func synologyDevices(body, status string) []Object {
	v := fieldValue(synologyDeviceFieldRe, body)
	if v == "" {
		return nil
	}
	var names []string
	for _, n := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
		if n = trimName(n); n != "" {
			names = append(names, n)
		}
	}
	objs := make([]Object, 0, len(names))
	for _, n := range names {
		o := Object{Name: n, Type: "Device"}
		if status == StatusSuccess || len(names) == 1 {
			o.Status = status
		}
		objs = append(objs, o)
	}
	return objs
}

// synologyTaskParser parses a backup task result mail of one DSM package.
type synologyTaskParser struct {
	info       Info
	backupType string
	product    func(subject, all string) bool
	devices    bool // list "Device list" entries as objects (Active Backup for Business)
	integrity  bool // report integrity-check mails as their own type (Hyper Backup)
}

func (p synologyTaskParser) Info() Info { return p.info }

func (p synologyTaskParser) Match(m *Mail) bool {
	subject := normaliseSpaces(m.Subject)
	body := plainMailText(m)
	if synologyRestoreRe.MatchString(subject) {
		return false // restore results are not backup runs
	}
	if synologyStatus(subject) == "" && synologyStatus(synologyLead(body)) == "" {
		return false // package notices (offline device, licence) carry no task status
	}
	return p.product(subject, subject+"\n"+body)
}

func (p synologyTaskParser) Parse(m *Mail) (*ParsedRun, error) {
	subject := strings.TrimSpace(normaliseSpaces(m.Subject))
	body := plainMailText(m)
	status := synologyStatus(subject)
	if status == "" {
		status = synologyStatus(synologyLead(body))
	}
	if status == "" {
		return nil, errors.New("synology: no status word in the subject or the opening lines")
	}
	task := synologyTaskName(subject, body)
	if task == "" {
		return nil, errors.New("synology: no task name in the body fields or the subject")
	}
	run := &ParsedRun{
		BackupSoftware: synologySoftware,
		BackupType:     p.backupType,
		JobName:        task,
		Status:         status,
		Host:           synologyHost(subject, body),
		Message:        synologyMessage(body),
	}
	if p.integrity && synologyIntegrityRe.MatchString(subject) {
		run.BackupType = synologyTypeIntegrityCheck
	}
	if dest := fieldValue(synologyDestinationRe, body); dest != "" && run.Message == "" {
		run.Message = "Destination: " + dest
	}
	run.StartedAt, run.EndedAt = synologyTimes(body, mailLocation(m))
	if p.devices {
		run.Objects = synologyDevices(body, status)
	}
	return run, nil
}

// synologyNoticeParser parses an informational DSM mail (updates, Security
// Advisor, Account Protection) into a run of a fixed job per NAS.
type synologyNoticeParser struct {
	info       Info
	job        string
	backupType string
	match      func(subject, body string) bool
	status     func(subject, body string) string
}

func (p synologyNoticeParser) Info() Info { return p.info }

func (p synologyNoticeParser) Match(m *Mail) bool {
	return p.match(normaliseSpaces(m.Subject), plainMailText(m))
}

func (p synologyNoticeParser) Parse(m *Mail) (*ParsedRun, error) {
	subject := strings.TrimSpace(normaliseSpaces(m.Subject))
	body := plainMailText(m)
	msg := synologyMessage(body)
	if msg == "" {
		msg = subject
	}
	return &ParsedRun{
		BackupSoftware: synologySoftware,
		BackupType:     p.backupType,
		JobName:        p.job,
		Status:         p.status(subject, body),
		Host:           synologyHost(subject, body),
		Message:        msg,
	}, nil
}

// synologyIsUpdateNotice matches DSM update mails and "DSM and packages out of date".
func synologyIsUpdateNotice(subject, body string) bool {
	all := subject + "\n" + body
	if synologyUpdateRe.MatchString(all) {
		return true
	}
	return synologyPackageUpdateRe.MatchString(subject) && synologyHasContext(subject, body)
}

// synologyUpdateStatus is Success when an update was installed and Info for every
// other notice (available, out of date, or an update that did not go through,
// which the message then says).
func synologyUpdateStatus(subject, body string) string {
	s := subject + "\n" + synologyLead(body)
	if synologyStatus(s) == StatusSuccess && !synologyOutdatedRe.MatchString(s) {
		return StatusSuccess
	}
	return StatusInfo
}
