package parsers

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"
)

func TestParseSize(t *testing.T) {
	const (
		kb = int64(1) << 10
		mb = int64(1) << 20
		gb = int64(1) << 30
		tb = int64(1) << 40
	)
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1.5 TB", tb + tb/2, true},
		{"1,5 TB", tb + tb/2, true},
		{"750 MB", 750 * mb, true},
		{"12 GB", 12 * gb, true},
		{"12GB", 12 * gb, true},
		{"0 B", 0, true},
		{"512 bytes", 512, true},
		{"1 KB", kb, true},
		{"2 KiB", 2 * kb, true},
		{"1.25 tb", tb + tb/4, true},
		{"1,024.5 GB", 1024*gb + gb/2, true},
		{"1.024,5 GB", 1024*gb + gb/2, true},
		{"1,024,000 MB", 1024000 * mb, true},
		{"1 536 MB", 1536 * mb, true},
		{"1\u00a0000 GB", 1000 * gb, true},
		{"819.2 GB", 879609302221, true}, // 819.2 × 2^30, rounded
		{"102,4 GB", 109951162778, true},
		{"used 498.5 GB (99%)", 498*gb + gb/2, true},
		{"Unlimited", 0, false},
		{"", 0, false},
		{"—", 0, false},
		{"12", 0, false},
		{"GB", 0, false},
		{"99999999999 EB", 0, false}, // beyond int64
	} {
		got, ok := ParseSize(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestCloudConnectStatusColours(t *testing.T) {
	for colour, want := range map[string]string{
		"": StatusSuccess, "#ffffff": StatusSuccess, "#fff": StatusSuccess, "white": StatusSuccess, "#e3e3e3": StatusSuccess,
		"#fb9895": StatusFailed, "#ff9999": StatusFailed, "#f4cccc": StatusFailed, "#ffb3b3": StatusFailed,
		"#ffd96c": StatusWarning, "#fff2cc": StatusWarning, "#ffe599": StatusWarning, "#f9cb9c": StatusWarning,
		// Shades outside Veeam's lists, by hue.
		"#ff0000": StatusFailed, "#e06666": StatusFailed, "#ffcc00": StatusWarning, "#c6efce": StatusSuccess,
		"#nothex": StatusSuccess,
	} {
		if got := cloudConnectStatus(colour); got != want {
			t.Errorf("colour %q: %s, want %s", colour, got, want)
		}
	}
}

// TestCloudConnectColourNotations: a colour counts whether it is bgcolor or style, in
// any case, on the row or on every cell; on some cells only it does not.
func TestCloudConnectColourNotations(t *testing.T) {
	row := func(tr, td string) string {
		return `<tr` + tr + `><td` + td + `>u</td><td` + td + `>R</td><td` + td + `>1 TB</td></tr>`
	}
	for _, c := range []struct {
		name, row, want string
	}{
		{"row bgcolor", row(` bgcolor="#FB9895"`, ""), StatusFailed},
		{"row style", row(` style="color: black; background-color: #ffd96c"`, ""), StatusWarning},
		{"row style background", row(` style="BACKGROUND: #F4CCCC none"`, ""), StatusFailed},
		{"cells bgcolor", row("", ` bgcolor="#fff2cc"`), StatusWarning},
		{"cells style upper", row("", ` style="Background-Color:#FFB3B3"`), StatusFailed},
		{"white row", row(` bgcolor="#FFFFFF"`, ""), StatusSuccess},
		{"none", row("", ""), StatusSuccess},
		{"one cell only", `<tr><td bgcolor="#fb9895">u</td><td>R</td><td>1 TB</td></tr>`, StatusSuccess},
	} {
		h := `<p style="font-size:18px">Backup</p><table><tr><th>User</th><th>Repo Name</th><th>Total quota</th></tr>` + c.row + `</table>`
		rows, err := ReadCloudConnectReport(h)
		if err != nil || len(rows) != 1 {
			t.Fatalf("%s: %v %+v", c.name, err, rows)
		}
		if rows[0].Status != c.want {
			t.Errorf("%s: %s (colour %q), want %s", c.name, rows[0].Status, rows[0].Colour, c.want)
		}
	}

	// Every colour of the report, in every notation and case.
	colours := map[string]string{"#fb9895": StatusFailed, "#ff9999": StatusFailed, "#f4cccc": StatusFailed, "#ffb3b3": StatusFailed,
		"#ffd96c": StatusWarning, "#fff2cc": StatusWarning, "#ffe599": StatusWarning, "#f9cb9c": StatusWarning}
	for colour, want := range colours {
		for _, c := range []string{colour, strings.ToUpper(colour)} {
			for name, r := range map[string]string{
				"row bgcolor":   row(` bgcolor="`+c+`"`, ""),
				"row style":     row(` style="background-color:`+c+`"`, ""),
				"cells bgcolor": row("", ` bgcolor="`+c+`"`),
				"cells style":   row("", ` style="background-color: `+c+`;"`),
			} {
				h := `<p style="font-size:18px">Agent</p><table><tr><th>User</th><th>Repo Name</th><th>Total quota</th></tr>` + r + `</table>`
				rows, err := ReadCloudConnectReport(h)
				if err != nil || len(rows) != 1 || rows[0].Status != want || rows[0].Colour != colour {
					t.Errorf("%s %s: %+v %v, want %s", c, name, rows, err, want)
				}
			}
		}
	}
}

func readFixture(t *testing.T, path string) *Mail {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env, err := enmime.ReadEnvelope(f)
	if err != nil {
		t.Fatal(err)
	}
	return &Mail{Subject: env.GetHeader("Subject"), HTML: env.HTML, Text: env.Text}
}

func TestReadCloudConnectReport(t *testing.T) {
	m := readFixture(t, "testdata/cloudconnect/report-all-sections.eml")
	rows, err := ReadCloudConnectReport(m.HTML)
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ user, section, repo, status, machines string }
	wants := []want{
		{"tenant-alpha", "Backup", "Cloud Repo 01", "Success", "4"},
		{"tenant-bravo", "Backup", "Cloud Repo 01", "Failed", "2"},
		{"tenant-charlie", "Backup", "Standard", "Failed", "1"},
		{"tenant-charlie", "Backup", "Immutable", "Warning", "1"},
		{"tenant-delta", "Backup", "Cloud Repo 02", "Failed", "3"},
		{"tenant-echo", "Backup", "", "Warning", "6"},
		{"tenant-foxtrot", "Backup", "Cloud Repo 01", "Success", "1"},
		{"tenant-golf", "Replication", "Hardware Plan A", "Failed", "2"},
		{"tenant-alpha", "Replication", "Hardware Plan B", "Success", "1"},
		{"tenant-hotel", "Agent", "Agents", "Warning", "12 / 2"},
		{"tenant-india", "Agent", "Agents", "Warning", "5 / 0"},
		{"tenant-juliett", "Agent", "", "Success", "1 / 1"},
	}
	if len(rows) != len(wants) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(wants), rows)
	}
	for i, w := range wants {
		r := rows[i]
		if r.User != w.user || r.Section != w.section || r.RepoName != w.repo || r.Status != w.status || r.Machines != w.machines {
			t.Errorf("row %d = %+v, want %+v", i, r, w)
		}
	}
	charlie := rows[3]
	if charlie.UsedText != "1,5 TB" || charlie.UsedBytes == nil || *charlie.UsedBytes != 3<<39 ||
		*charlie.QuotaBytes != 2<<40 || *charlie.FreeBytes != 512<<30 || charlie.Repository != "REPO-IMM" {
		t.Errorf("sizes of %+v", charlie)
	}
	if d := rows[4]; *d.QuotaBytes != 750<<20 || *d.UsedBytes != 700<<20 {
		t.Errorf("MB sizes of %+v", d)
	}
	if j := rows[11]; j.LastActive != "Never" || j.Expiry != "Never" || j.Repository != "" || j.Label() != "tenant-juliett / no repository (Agent)" {
		t.Errorf("juliett %+v (%s)", j, j.Label())
	}
	if e := rows[5]; e.Label() != "tenant-echo / REPO-03" || e.Figures() != "used 10 GB of 12 GB, 2 GB free" {
		t.Errorf("echo label %q figures %q", e.Label(), e.Figures())
	}

	res := Default().Parse(m)
	if res.Parser != CloudConnectParser || res.Run == nil || res.Run.Status != StatusFailed || len(res.Run.Objects) != 12 ||
		res.Run.Message != "12 accounts: 4 Success, 4 Warning, 4 Failed" {
		t.Fatalf("registry: %+v %+v", res, res.Run)
	}
}

func TestCloudConnectNotOtherMails(t *testing.T) {
	for name, h := range map[string]string{
		"no heading":      `<table><tr><th>User</th><th>Total quota</th></tr><tr><td>a</td><td>1 GB</td></tr></table><p style="font-size:18px">x</p>`,
		"heading no user": `<p style="font-size:18px">Backup</p><table><tr><th>Name</th><th>Total quota</th></tr><tr><td>a</td><td>1 GB</td></tr></table>`,
		"small heading":   `<p style="font-size:12px">Backup</p><table><tr><th>User</th><th>Total quota 18px</th></tr><tr><td>a</td><td>1 GB</td></tr></table>`,
		"only total":      `<p style="font-size:18px">Backup</p><table><tr><th>User</th><th>Total quota</th></tr><tr><td>Total</td><td>1 GB</td></tr></table>`,
	} {
		if (veeamCloudConnectParser{}).Match(&Mail{HTML: h}) {
			t.Errorf("%s: matched", name)
		}
	}
}

// TestCloudConnectBounded: a report of many rows is read up to the bound, and a row
// listed twice keeps its worst colour.
func TestCloudConnectBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<p style="font-size:18px">Backup</p><table><tr><th>User</th><th>Repo Name</th><th>Total quota</th></tr>`)
	b.WriteString(`<tr><td>dup</td><td>R</td><td>1 GB</td></tr><tr bgcolor="#fb9895"><td>dup</td><td>R</td><td>1 GB</td></tr>`)
	for i := 0; i < maxCloudConnectRows+10; i++ {
		fmt.Fprintf(&b, `<tr><td>u%d</td><td>R</td><td>1 GB</td></tr>`, i)
	}
	b.WriteString(`</table>`)
	rows, err := ReadCloudConnectReport(b.String())
	if err != nil {
		t.Fatal(err)
	}
	// The table is read up to the bound, its two rows of "dup" then count once.
	if len(rows) != maxCloudConnectRows-1 {
		t.Fatalf("%d rows", len(rows))
	}
	if rows[0].User != "dup" || rows[0].Status != StatusFailed {
		t.Fatalf("duplicate row: %+v", rows[0])
	}
}
