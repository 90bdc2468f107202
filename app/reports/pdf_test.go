package reports_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/reports"
)

// pdfText is the text of a PDF as Debian's pdftotext (poppler-utils) reads it, one
// string per page. `make test` installs poppler-utils; outside CI a missing pdftotext
// skips the test, in CI it fails it.
func pdfText(t *testing.T, pdf []byte) []string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pdftotext is missing (.ci/test.sh installs Debian's poppler-utils): %v", err)
		}
		t.Skip("pdftotext is not installed: apt-get install poppler-utils (make test installs it)")
	}
	cmd := exec.Command(bin, "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v: %s", err, stderr.String())
	}
	pages := strings.Split(out.String(), "\f")
	if len(pages) > 0 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

func testLogo(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		for y := range 20 {
			img.Set(x, y, color.RGBA{31, 95, 168, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	logo, err := reports.CheckLogo(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return logo
}

func TestWritePDF(t *testing.T) {
	f := newFixture(t)
	doc := reports.Document{
		Branding: reports.Branding{CompanyName: "Backup Dienst Köln", AccentColor: "#7a1fa8", FooterText: "Vertraulich – nur für den Kunden",
			Logo: testLogo(t)},
		Loc: f.loc, GeneratedAt: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), Show: reports.AllContent,
	}
	rs := f.build(t, f.scope(f.muller, f.stastny, f.lodz))
	if len(rs) != 3 {
		t.Fatalf("%d reports", len(rs))
	}
	texts := map[string][]string{}
	for i := range rs {
		var b bytes.Buffer
		if err := reports.WritePDF(&b, doc, &rs[i]); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
			t.Fatalf("%s: not a PDF", rs[i].Customer.Name)
		}
		texts[rs[i].Customer.Name] = pdfText(t, b.Bytes())
	}

	muller := texts["Müller GmbH"]
	all := strings.Join(muller, "\n")
	for _, want := range []string{"Müller GmbH", "Backup Dienst Köln", "Vertraulich – nur für den Kunden",
		"2026-02-01 – 2026-02-28 (28 days)", "Daily success rate", "Jobs", "Day × job", "Failures and warnings",
		"Nightly VMs", "NAS → Cloud", "Exchange Online", "Daily at 22:00", "Disk full on repository „Zürich“",
		"incl. 1 overridden", "95.2%", "Missed"} {
		if !strings.Contains(all, want) {
			t.Errorf("Müller's PDF lacks %q\n%s", want, all)
		}
	}
	// A header and "Page n of N" on every page.
	pageRe := regexp.MustCompile(`Page (\d+) of (\d+)`)
	for i, p := range muller {
		m := pageRe.FindStringSubmatch(p)
		if m == nil || m[1] != itoa(i+1) || m[2] != itoa(len(muller)) {
			t.Errorf("page %d: page number %v of %d pages", i+1, m, len(muller))
		}
		if !strings.Contains(p, "Backup Dienst Köln") || !strings.Contains(p, "Müller GmbH · 2026-02-01 – 2026-02-28") {
			t.Errorf("page %d has no header:\n%s", i+1, p)
		}
	}
	lodz := strings.Join(texts["Łódź Logistics"], "\n")
	for _, want := range []string{"Łódź Logistics", "Serwer plików Łódź", "Błąd zapisu", "T20260205.0001", "Klient wymienia dysk"} {
		if !strings.Contains(lodz, want) {
			t.Errorf("Łódź's PDF lacks %q\n%s", want, lodz)
		}
	}
	stastny := strings.Join(texts["Šťastný s.r.o."], "\n")
	for _, want := range []string{"Šťastný s.r.o.", "No jobs match this report.", "No failed, missed or warning runs"} {
		if !strings.Contains(stastny, want) {
			t.Errorf("Šťastný's PDF lacks %q\n%s", want, stastny)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
