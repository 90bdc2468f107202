package parsers

import "testing"

func TestQNAPItalianNotification(t *testing.T) {
	body := "Nome NAS: nas-qnap02\nGravità: Errore\nData/Ora: 2026/03/18 02:00:29\nNome App: Hybrid Backup Sync\n" +
		"Categoria: Stato processo\nMessaggio: [Hybrid Backup Sync] Backup job: \"Copia notturna\" non riuscito.\n"
	res := Default().Parse(&Mail{Subject: "[Error][Hybrid Backup Sync] Notifica dal dispositivo: nas-qnap02", Text: body})
	if res.Run == nil || res.Run.JobName != "Copia notturna" || res.Run.Status != StatusFailed || res.Run.Host != "nas-qnap02" {
		t.Fatalf("italian QNAP notification: %+v", res)
	}
}
