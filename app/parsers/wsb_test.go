package parsers

import "testing"

func TestWSBHost(t *testing.T) {
	for _, tc := range []struct{ subject, body, want string }{
		{"Windows Server Backup: Success on SRV01", "", "SRV01"},
		{"SRV-APP02 - Backup Failure", "", "SRV-APP02"},
		{"Backup report", "Computer: srv03.example.local\n", "srv03.example.local"},
		{"Backup report", "Windows Server Backup on SRV04 finished.", "SRV04"},
		{"Windows Server Backup - Success", "", ""},
	} {
		if got := wsbHost(tc.subject, tc.body); got != tc.want {
			t.Errorf("wsbHost(%q, %q) = %q, want %q", tc.subject, tc.body, got, tc.want)
		}
	}
}

func TestWSBVolumes(t *testing.T) {
	body := "The backup of volume (C:) completed successfully.\n" +
		"The backup of volume (D:) completed successfully.\n" +
		"Summary of the backup operation:\n" +
		"The backup of volume (C:) completed successfully.\n" +
		"The backup of volume (D:) did not complete successfully.\n"
	got := wsbVolumes(body)
	if len(got) != 2 || got[0].Name != "C:" || got[0].Status != StatusSuccess || got[1].Name != "D:" || got[1].Status != StatusFailed {
		t.Fatalf("wsbVolumes = %+v", got)
	}
	// A run whose summary says success but lost a volume is a warning.
	res := Default().Parse(&Mail{Subject: "Windows Server Backup on SRV01", Text: "The backup operation successfully completed.\n" + body})
	if res.Run == nil || res.Run.Status != StatusWarning {
		t.Fatalf("success with a failed volume: %+v", res)
	}
}
