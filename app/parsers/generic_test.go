package parsers

import "testing"

func TestGenericStatus(t *testing.T) {
	for _, tc := range []struct{ subject, want string }{
		{"[Failed] Nightly backup", StatusFailed},
		{"Backup job finished with errors", StatusFailed},
		{"Backup completed with warnings", StatusWarning},
		{"Partially completed: NAS01", StatusWarning},
		{"Backup completed successfully", StatusSuccess},
		{"Sauvegarde terminée", StatusSuccess},
		{"Sauvegarde a échoué", StatusFailed},
		{"Datensicherung fehlgeschlagen", StatusFailed},
		{"Newsletter: new features", ""},
		{"Success but 1 failed object", StatusFailed}, // worst wins
	} {
		if got := genericStatus(tc.subject); got != tc.want {
			t.Errorf("genericStatus(%q) = %q, want %q", tc.subject, got, tc.want)
		}
	}
}

type fakeParser struct {
	info  Info
	match bool
	err   error
}

func (f fakeParser) Info() Info       { return f.info }
func (f fakeParser) Match(*Mail) bool { return f.match }
func (f fakeParser) Parse(*Mail) (*ParsedRun, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ParsedRun{JobName: f.info.Name, Status: StatusSuccess}, nil
}

func TestRegistryOrder(t *testing.T) {
	late := fakeParser{info: Info{Name: "late", Order: 50, Enabled: true}, match: true}
	early := fakeParser{info: Info{Name: "early", Order: 10, Enabled: true}, match: true}
	off := fakeParser{info: Info{Name: "off", Order: 1, Enabled: false}, match: true}
	info := fakeParser{info: Info{Name: "info", Order: 5, Enabled: true, Informational: true}, match: false}
	r := NewRegistry(late, off, info, early)
	res := r.Parse(&Mail{Subject: "x"})
	if res.Parser != "early" || res.Run.JobName != "early" {
		t.Fatalf("parsed by %q, want early", res.Parser)
	}
	if len(res.Tried) != 2 || res.Tried[0].Parser != "info" || res.Tried[0].Matched {
		t.Fatalf("tried = %+v", res.Tried)
	}

	broken := fakeParser{info: Info{Name: "broken", Order: 1, Enabled: true}, match: true, err: errTest}
	res = NewRegistry(early, broken).Parse(&Mail{})
	if res.Run != nil || res.Parser != "broken" || res.Error == "" {
		t.Fatalf("a matching parser's error must end the search: %+v", res)
	}
	res = NewRegistry().Parse(&Mail{})
	if res.Error != ErrNoParser.Error() {
		t.Fatalf("empty registry: %+v", res)
	}
}

var errTest = errorString("layout changed")

type errorString string

func (e errorString) Error() string { return string(e) }

func TestSuggestedJobNameAndPattern(t *testing.T) {
	for _, tc := range []struct{ subject, name, pattern string }{
		{"[Failed] Nightly backup nas01 - 2026-03-03 22:00", "Nightly backup nas01", "[*] Nightly backup nas01 - *"},
		{"Duplicati Backup report for Office files (Success)", "Duplicati Backup report for Office files", "Duplicati Backup report for Office files (*)"},
		{"Borg backup srv-web2: success, 3 archives, 12.4 GB", "Borg backup srv-web2: archives, GB", "Borg backup srv-web2: *, * archives, * GB"},
		{"Fwd: Backup script on db01 FAILED at 03/03/2026 02:15:07", "Backup script on db01 at", "*Backup script on db01 * at *"},
		{"Sicherung erfolgreich - Dienstag, 3. März 2026", "Sicherung - Dienstag", "Sicherung * - Dienstag, *"},
		{"Backup completed - Tuesday, 03 March 2026 22:04:12", "Backup", "Backup * - *"},
		{"May backup of mailserver ok", "May backup of mailserver", "May backup of mailserver *"},
		{"Failed", "Failed", "Failed"},
	} {
		if got := SuggestedJobName(tc.subject); got != tc.name {
			t.Errorf("SuggestedJobName(%q) = %q, want %q", tc.subject, got, tc.name)
		}
		if got := SuggestedSubjectPattern(tc.subject); got != tc.pattern {
			t.Errorf("SuggestedSubjectPattern(%q) = %q, want %q", tc.subject, got, tc.pattern)
		}
	}
}
