package parsers

import (
	"testing"
	"time"
)

func TestSynologyStatus(t *testing.T) {
	for _, tc := range []struct{ lang, s, want string }{
		{"en", "Backup task Daily on nas01 has been completed", StatusSuccess},
		{"en", "Network backup - Task Daily completed successfully on nas01", StatusSuccess},
		{"en", "Data backup task on nas01 partially completed", StatusWarning},
		{"en", "Backup task Daily on nas01 failed", StatusFailed},
		{"en", "Backup task Daily encountered an error", StatusFailed},
		{"en", "Backup task Daily was cancelled", StatusWarning},
		{"fr", "La tâche de sauvegarde X sur nas01 est terminée", StatusSuccess},
		{"fr", "Tâche Network backup - X terminée sur nas01", StatusSuccess},
		{"fr", "La tâche Network backup - X a été effectuée avec succès sur nas01", StatusSuccess},
		{"fr", "Network backup - La tâche X a réussi sur nas01", StatusSuccess},
		{"fr", "La tâche de sauvegarde X sur nas01 a échoué", StatusFailed},
		{"fr", "La tâche de sauvegarde X a rencontré une erreur.", StatusFailed},
		{"fr", "La tâche de sauvegarde X est partiellement terminée", StatusWarning},
		{"nl", "Back-uptaak X op nas01 is voltooid", StatusSuccess},
		{"nl", "Back-uptaak X op nas01 is mislukt", StatusFailed},
		{"nl", "Back-uptaak X op nas01 is gedeeltelijk voltooid", StatusWarning},
		{"nl", "Automatische DSM-update op nas01 is geslaagd", StatusSuccess},
		{"de", "Backup-Aufgabe X auf nas01 wurde abgeschlossen", StatusSuccess},
		{"de", "Backup-Aufgabe X auf nas01 ist fehlgeschlagen", StatusFailed},
		{"de", "Backup-Aufgabe X auf nas01 wurde teilweise abgeschlossen", StatusWarning},
		{"de", "Backup-Aufgabe X auf nas01 war nicht erfolgreich", StatusFailed},
		{"en", "DSM and packages on nas01 are out of date", ""},
		{"fr", "Votre tâche de sauvegarde complète du système X", ""}, // "complète" means full, not complete
	} {
		if got := synologyStatus(tc.s); got != tc.want {
			t.Errorf("%s: synologyStatus(%q) = %q, want %q", tc.lang, tc.s, got, tc.want)
		}
	}
}

func TestSynologyHost(t *testing.T) {
	for _, tc := range []struct{ subject, body, want string }{
		{"[x] Active Backup for Business - Backup task Daily on nas-office01 has been completed", "", "nas-office01"},
		{"NALP01 :  Active Backup for Business - La tâche de sauvegarde AB_1 sur NALP01 est terminée", "", "NALP01"},
		{"Active Backup for Microsoft 365 - backup task [M365 - Example] on [host01] was completed", "", "host01"},
		{"Back-uptaak X op nas-kantoor01 is voltooid", "", "nas-kantoor01"},
		{"Backup-Aufgabe X auf nas-lager01 wurde abgeschlossen", "", "nas-lager01"},
		{"NASHOME - NAS Example DSM et des paquets sur NASHOME sont obsolètes", "", "NASHOME"},
		{"Backup on Monday on nas02 has been completed", "", "nas02"}, // the last "on" names the NAS
		// No host in the subject: the DSM footer in each language.
		{"A new DSM update is available", "text\n\nFrom nas-office01\n", "nas-office01"},
		{"x", "texte\n\nDe nas-atelier02", "nas-atelier02"},
		{"x", "tekst\n\nVan nas-kantoor01", "nas-kantoor01"},
		{"x", "Text\n\nVon nas-lager01", "nas-lager01"},
		{"x", "texte\n\nSynology – NUSI01", "NUSI01"},
		{"x", "no footer here", ""},
	} {
		if got := synologyHost(normaliseSpaces(tc.subject), tc.body); got != tc.want {
			t.Errorf("synologyHost(%q, %q) = %q, want %q", tc.subject, tc.body, got, tc.want)
		}
	}
}

func TestSynologySubjectTask(t *testing.T) {
	for _, tc := range []struct{ subject, want string }{
		{"[nas01] Active Backup for Business - Backup task Daily Office Backup on nas01 has been completed", "Daily Office Backup"},
		{"[STO-BK01] Active Backup for Business - backup task stock-bim-01-full on STO-BK01 has been completed", "stock-bim-01-full"},
		{"NALP01 :  Active Backup for Business - La tâche de sauvegarde AB_DALP06 sur NALP01 est terminée", "AB_DALP06"},
		{"NLTM02 :  Active Backup for Business - La tâche de sauvegarde tech-Default sur NLTM02 a échoué", "tech-Default"},
		{"Active Backup for Microsoft 365 - backup task [Office 365 Backup - Example] on [host01] was completed", "Office 365 Backup - Example"},
		{"NABO03 :  Tâche Network backup - BACKUP_ALL terminée sur NABO03", "BACKUP_ALL"},
		{"NBNF01 La tâche Network backup - HB_BNF01 a été effectuée avec succès sur NBNF01", "HB_BNF01"},
		{"NUSI01 : Network backup\u00a0- La tâche RSYNC_NUSI01 a réussi sur NUSI01", "RSYNC_NUSI01"},
		{"[CMS]Synology C2 cloud backup - Synology C2 successful on server", "Synology C2"},
		{"[nas01] Hyper Backup - Back-uptaak Kantoordata op nas01 is mislukt", "Kantoordata"},
		{"[nas01] Hyper Backup - Sicherungsaufgabe Lager-Archiv auf nas01 wurde erfolgreich abgeschlossen", "Lager-Archiv"},
		{"Data backup task on host01 partially completed", ""}, // names no task
	} {
		if got := synologySubjectTask(normaliseSpaces(tc.subject)); got != tc.want {
			t.Errorf("synologySubjectTask(%q) = %q, want %q", tc.subject, got, tc.want)
		}
	}
}

func TestSynologyParseDate(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	at := func(y int, mo time.Month, d, h, mi, s int) *time.Time {
		v := time.Date(y, mo, d, h, mi, s, 0, loc)
		return &v
	}
	for _, tc := range []struct {
		in       string
		dayFirst bool
		want     *time.Time
	}{
		{"05/12/2025 03:00", true, at(2025, 12, 5, 3, 0, 0)},    // French ABB: day first
		{"05/12/2025 03:00", false, nil},                        // English and ambiguous: left unread
		{"12/16/2025 22:00", false, at(2025, 12, 16, 22, 0, 0)}, // the numbers decide
		{"10.03.2026 21:00", true, at(2026, 3, 10, 21, 0, 0)},
		{"2026/03/16 23:00", false, at(2026, 3, 16, 23, 0, 0)},
		{"Ven, 5 Déc 2025 03:00:48", true, at(2025, 12, 5, 3, 0, 48)},
		{"Jeu, 12 Déc 2024 12:06:23", true, at(2024, 12, 12, 12, 6, 23)},
		{"Mi., 11. März 2026 02:00:05", true, at(2026, 3, 11, 2, 0, 5)},
		{"do, 12 mrt 2026 02:00:01", true, at(2026, 3, 12, 2, 0, 1)},
		{"Tue, Mar 17 2026 01:00:04", false, at(2026, 3, 17, 1, 0, 4)},
		{"31/02/2026 10:00", true, nil},
		{"soon", true, nil},
	} {
		got := synologyParseDate(tc.in, tc.dayFirst, loc)
		if (got == nil) != (tc.want == nil) || (got != nil && !got.Equal(*tc.want)) {
			t.Errorf("synologyParseDate(%q, %v) = %v, want %v", tc.in, tc.dayFirst, got, tc.want)
		}
	}
}

func TestSynologyDuration(t *testing.T) {
	for _, tc := range []struct {
		body string
		want time.Duration
	}{
		{"Durée : 4 minutes 7 secondes ", 4*time.Minute + 7*time.Second},
		{"Durée : 36 Minute 10 Second ", 36*time.Minute + 10*time.Second},
		{"Duration: 1 hour 12 minutes 3 seconds", time.Hour + 12*time.Minute + 3*time.Second},
		{"Duur: 1 uur 2 minuten", time.Hour + 2*time.Minute},
		{"Dauer: 1 Stunde 3 Minuten 22 Sekunden", time.Hour + 3*time.Minute + 22*time.Second},
		{"Dauer: 2 Tage", 48 * time.Hour},
	} {
		if got, ok := synologyDuration(tc.body); !ok || got != tc.want {
			t.Errorf("synologyDuration(%q) = %v, %v; want %v", tc.body, got, ok, tc.want)
		}
	}
	if _, ok := synologyDuration("no duration"); ok {
		t.Error("synologyDuration found a duration in a body without one")
	}
}

// Every parser of this file must leave the other vendors' and the generic mails
// alone, and the informational ones must not claim backup results.
func TestSynologyMatchBoundaries(t *testing.T) {
	reg := Default()
	for _, tc := range []struct {
		name, subject, body, wantParser string
	}{
		{"restore is not a backup run", "[nas01] Active Backup for Business - Restore task Daily on nas01 has been completed", "From nas01", "generic_subject_status"},
		{"plain local backup mail of another product", "Local backup completed", "All good.", "generic_subject_status"},
		{"package list naming Hyper Backup is an update notice", "[nas01] DSM and 2 packages on nas01 are out of date", "Packages: Hyper Backup, Active Backup for Business\n\nFrom nas01", "synology_dsm_update"},
		{"ABB notice without a status", "[nas01] Active Backup for Business - Device pc01 is offline", "From nas01", ""},
		{"Microsoft account protection is not DSM", "Microsoft account protection alert", "Your Microsoft account was protected.", ""},
	} {
		res := reg.Parse(&Mail{Subject: tc.subject, Text: tc.body})
		if res.Parser != tc.wantParser {
			t.Errorf("%s: parsed by %q, want %q (%+v)", tc.name, res.Parser, tc.wantParser, res)
		}
	}
}

func TestStatusWordsIgnoreZeroCounts(t *testing.T) {
	w := statusWords{failed: words(`errors?|failed`), warning: words(`warnings?`), success: words(`completed`)}
	for _, tc := range []struct{ s, want string }{
		{"Completed, 1,204 files copied, 0 errors", StatusSuccess},
		{"Completed, 0 failed, 0 warnings", StatusSuccess},
		{"Completed, 10 errors", StatusFailed},
		{"Completed with 2 warnings", StatusWarning},
		{"0 errors", ""},
	} {
		if got := w.of(tc.s); got != tc.want {
			t.Errorf("of(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}
