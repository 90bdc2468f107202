package parsers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

func init() { register(veeamCloudConnectParser{}) }

// CloudConnectParser is the name of the Veeam Cloud Connect report's parser. Its mail
// is not the run of one job: every row is an account that app/cloudconnect stages and
// links to a job of its own.
const CloudConnectParser = "veeam_cloud_connect"

// Sections of the Cloud Connect report.
const (
	CloudConnectBackup      = "Backup"
	CloudConnectReplication = "Replication"
	CloudConnectAgent       = "Agent"
)

// maxCloudConnectRows bounds the rows read from one report (hostile input): a
// provider's report lists each tenant repository once, far fewer than this.
const maxCloudConnectRows = 20000

// CloudConnectRow is one row of the report: one tenant account on one repository, with
// the figures as shown and, where they could be read, as numbers.
type CloudConnectRow struct {
	User     string `json:"user"`
	Section  string `json:"section"`   // CloudConnectBackup, CloudConnectReplication or CloudConnectAgent
	RepoName string `json:"repo_name"` // the cloud repository (Replication: the hardware plan); "" when none
	// Repository is the backup repository behind the cloud repository.
	Repository string `json:"repository,omitempty"`
	// Machines is the machine count as shown: "#VM" ("12"), or for Agent "#WS / #Server" ("3 / 1").
	Machines   string `json:"machines,omitempty"`
	QuotaText  string `json:"quota,omitempty"`
	UsedText   string `json:"used,omitempty"`
	FreeText   string `json:"free,omitempty"`
	QuotaBytes *int64 `json:"quota_bytes,omitempty"`
	UsedBytes  *int64 `json:"used_bytes,omitempty"`
	FreeBytes  *int64 `json:"free_bytes,omitempty"`
	LastActive string `json:"last_active,omitempty"` // as shown; app/cloudconnect reads the date
	Expiry     string `json:"expiry,omitempty"`
	// Colour is the row's background colour as found (lower case), "" when none.
	Colour string `json:"colour,omitempty"`
	Status string `json:"status"` // Veeam's verdict, read from Colour
}

// veeamCloudConnectParser reads the daily Veeam Cloud Connect report a service provider's
// Backup & Replication mails: sections Backup, Replication and Agent, each a <p> in an
// 18px font followed by a table of the tenants' repositories (User, #VM, Repo Name,
// Repository, Total quota, Used space, Free space, Last active, Expiry). The mail as a
// whole has the worst status of its rows; its objects are the rows.
type veeamCloudConnectParser struct{}

func (veeamCloudConnectParser) Info() Info {
	return Info{
		Name: CloudConnectParser, BackupSoftware: "Veeam Cloud Connect", BackupTypes: []string{"Cloud Connect report"},
		Match: "HTML with sections (Backup, Replication, Agent) in an 18px heading, each followed by a table of tenants " +
			"with the columns User and Repo Name or Total quota; any sender and subject. Every row becomes an account " +
			"(Cloud Connect → Accounts), linked to a job of its own",
		Order: 90, Enabled: true,
		Examples: []string{"Veeam Cloud Connect report"},
	}
}

// Match reads the HTML only when it can be the report (cheap checks first: the
// registry asks every parser about every mail).
func (veeamCloudConnectParser) Match(m *Mail) bool {
	if !cloudConnectMaybe(m.HTML) {
		return false
	}
	rows, err := ReadCloudConnectReport(m.HTML)
	return err == nil && len(rows) > 0
}

// cloudConnectMaybe is the cheap test: the report's words are in the HTML.
func cloudConnectMaybe(h string) bool {
	l := strings.ToLower(h)
	return strings.Contains(l, "18px") && strings.Contains(l, "quota") && strings.Contains(l, "user")
}

// Parse gives the report as a whole: its worst row status, the count of accounts per
// status, and one object per row.
func (veeamCloudConnectParser) Parse(m *Mail) (*ParsedRun, error) {
	rows, err := ReadCloudConnectReport(m.HTML)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("veeam cloud connect: the report lists no tenant")
	}
	run := &ParsedRun{BackupSoftware: "Veeam Cloud Connect", BackupType: "Cloud Connect report", Status: StatusSuccess}
	count := map[string]int{}
	for _, r := range rows {
		count[r.Status]++
		if severity(r.Status) > severity(run.Status) {
			run.Status = r.Status
		}
		run.Objects = append(run.Objects, Object{Name: r.Label(), Type: "cloud_connect_repo", Status: r.Status, Error: r.Figures()})
	}
	noun := "accounts"
	if len(rows) == 1 {
		noun = "account"
	}
	run.Message = fmt.Sprintf("%d %s: %d Success, %d Warning, %d Failed", len(rows), noun,
		count[StatusSuccess], count[StatusWarning], count[StatusFailed])
	return run, nil
}

// Label names the row's account: user, repository and (outside Backup) the section.
func (r CloudConnectRow) Label() string {
	s := r.User + " / " + r.RepoLabel()
	if r.Section != CloudConnectBackup {
		s += " (" + r.Section + ")"
	}
	return s
}

// RepoLabel is the repository the account uses: its repo name, else the backup
// repository, else "no repository".
func (r CloudConnectRow) RepoLabel() string {
	switch {
	case r.RepoName != "":
		return r.RepoName
	case r.Repository != "":
		return r.Repository
	}
	return "no repository"
}

// Figures says used, quota and free space as shown: "used 750 GB of 1 TB, 250 GB free".
func (r CloudConnectRow) Figures() string {
	var parts []string
	switch {
	case r.UsedText != "" && r.QuotaText != "":
		parts = append(parts, "used "+r.UsedText+" of "+r.QuotaText)
	case r.UsedText != "":
		parts = append(parts, "used "+r.UsedText)
	case r.QuotaText != "":
		parts = append(parts, "quota "+r.QuotaText)
	}
	if r.FreeText != "" {
		parts = append(parts, r.FreeText+" free")
	}
	return strings.Join(parts, ", ")
}

func severity(status string) int {
	switch status {
	case StatusWarning:
		return 1
	case StatusFailed:
		return 2
	}
	return 0
}

// cloudConnectColumn is what a header cell of a section table names.
type cloudConnectColumn int

const (
	ccNone cloudConnectColumn = iota
	ccUser
	ccVMs
	ccWorkstations
	ccServers
	ccRepoName
	ccRepository
	ccQuota
	ccUsed
	ccFree
	ccLastActive
	ccExpiry
)

// cloudConnectColumnOf reads a header cell. The Replication section names its
// resource a hardware plan: it stands where a repo name does.
func cloudConnectColumnOf(header string) cloudConnectColumn {
	h := strings.Join(strings.Fields(strings.ToLower(strings.TrimSuffix(strings.TrimSpace(header), ":"))), " ")
	switch h {
	case "user", "user name", "tenant":
		return ccUser
	case "#vm", "#vms", "# vm", "# vms", "vms", "#vm(s)":
		return ccVMs
	case "#ws", "# ws", "#workstations", "workstations":
		return ccWorkstations
	case "#server", "#servers", "# server", "# servers", "servers":
		return ccServers
	case "repo name", "repository name", "cloud repository", "hardware plan":
		return ccRepoName
	case "repository", "backup repository":
		return ccRepository
	case "total quota", "quota":
		return ccQuota
	case "used space", "used":
		return ccUsed
	case "free space", "free":
		return ccFree
	case "last active", "last activity":
		return ccLastActive
	case "expiry", "expiry date", "expires", "expiration", "expiration date":
		return ccExpiry
	}
	return ccNone
}

// cloudConnectSectionOf reads a section heading ("Backup", "Agents"); "" when the text
// names no section.
func cloudConnectSectionOf(text string) string {
	switch strings.ToLower(strings.Join(strings.Fields(text), " ")) {
	case "backup", "backups", "cloud backup":
		return CloudConnectBackup
	case "replication", "replica", "replicas", "cloud replication":
		return CloudConnectReplication
	case "agent", "agents", "agent backup", "agent backups":
		return CloudConnectAgent
	}
	return ""
}

// ReadCloudConnectReport reads every tenant row of a Cloud Connect report's HTML, in
// the order of the report. A section heading is a <p> whose style sets an 18px font;
// its table is the first table after it with a header row naming User, read by the
// header's names (so columns may come in any order, and a missing one stays empty).
// Rows without a user and the Total row are left out. One account — (user, section,
// repo name) — listed twice keeps its worst row. No error and no rows means the HTML
// is not the report.
func ReadCloudConnectReport(h string) ([]CloudConnectRow, error) {
	if !cloudConnectMaybe(h) {
		return nil, nil
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(h))
	if err != nil {
		return nil, fmt.Errorf("veeam cloud connect: read the HTML: %w", err)
	}
	var out []CloudConnectRow
	at := map[[3]string]int{}
	section := ""
	// p and table elements in document order: a heading sets the section the tables
	// after it belong to; layout tables around them have no User header and are passed.
	doc.Find("p, table").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		if goquery.NodeName(s) == "p" {
			if isCloudConnectHeading(s) {
				section = cloudConnectSectionOf(s.Text())
			}
			return true
		}
		if section == "" {
			return true
		}
		rows := readCloudConnectTable(s, section)
		if rows == nil {
			return true
		}
		section = "" // one table per heading
		for _, r := range rows {
			key := [3]string{r.User, r.Section, r.RepoName}
			if i, ok := at[key]; ok {
				if severity(r.Status) > severity(out[i].Status) {
					out[i] = r
				}
				continue
			}
			at[key] = len(out)
			out = append(out, r)
		}
		return len(out) < maxCloudConnectRows
	})
	if len(out) > maxCloudConnectRows {
		out = out[:maxCloudConnectRows]
	}
	return out, nil
}

// isCloudConnectHeading: a <p> in an 18px font (style, any spacing or case) that names
// a section.
func isCloudConnectHeading(s *goquery.Selection) bool {
	style := strings.ToLower(strings.Join(strings.Fields(s.AttrOr("style", "")), ""))
	return strings.Contains(style, "font-size:18px") && cloudConnectSectionOf(s.Text()) != ""
}

// readCloudConnectTable reads a section's table: nil when it has no header row naming
// User (a layout table), else its tenant rows (perhaps none).
func readCloudConnectTable(t *goquery.Selection, section string) []CloudConnectRow {
	var cols []cloudConnectColumn
	rows := []CloudConnectRow{}
	ownRows(t).EachWithBreak(func(_ int, tr *goquery.Selection) bool {
		cells := tr.ChildrenFiltered("td, th")
		if cols == nil {
			var found []cloudConnectColumn
			user := false
			cells.Each(func(_ int, c *goquery.Selection) {
				col := cloudConnectColumnOf(cellText(c))
				user = user || col == ccUser
				found = append(found, col)
			})
			if user {
				cols = found
			}
			return true
		}
		r := CloudConnectRow{Section: section}
		vms, ws, servers := "", "", ""
		cells.Each(func(i int, c *goquery.Selection) {
			if i >= len(cols) {
				return
			}
			v := cellText(c)
			switch cols[i] {
			case ccUser:
				r.User = v
			case ccVMs:
				vms = v
			case ccWorkstations:
				ws = v
			case ccServers:
				servers = v
			case ccRepoName:
				r.RepoName = v
			case ccRepository:
				r.Repository = v
			case ccQuota:
				r.QuotaText, r.QuotaBytes = v, sizePtr(v)
			case ccUsed:
				r.UsedText, r.UsedBytes = v, sizePtr(v)
			case ccFree:
				r.FreeText, r.FreeBytes = v, sizePtr(v)
			case ccLastActive:
				r.LastActive = v
			case ccExpiry:
				r.Expiry = v
			}
		})
		switch {
		case vms != "":
			r.Machines = vms
		case ws != "" || servers != "":
			r.Machines = orDash(ws) + " / " + orDash(servers)
		}
		if r.User == "" || strings.EqualFold(r.User, "total") || strings.HasPrefix(strings.ToLower(r.User), "total:") {
			return true
		}
		r.Colour = rowColour(tr, cells)
		r.Status = cloudConnectStatus(r.Colour)
		rows = append(rows, r)
		return len(rows) < maxCloudConnectRows
	})
	if cols == nil {
		return nil
	}
	return rows
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// ownRows are a table's own rows, not those of tables nested in its cells.
func ownRows(t *goquery.Selection) *goquery.Selection {
	return t.ChildrenFiltered("tr").AddSelection(t.ChildrenFiltered("thead, tbody, tfoot").ChildrenFiltered("tr"))
}

// cellText is a cell's text with spaces (and no-break spaces) collapsed, bounded.
func cellText(c *goquery.Selection) string {
	s := strings.Join(strings.Fields(strings.ReplaceAll(c.Text(), "\u00a0", " ")), " ")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "")
	}
	return s
}

func sizePtr(s string) *int64 {
	if n, ok := ParseSize(s); ok {
		return &n
	}
	return nil
}

// rowColour is the row's background colour: the row's own (bgcolor or style), else
// the cells' when every cell has one (the worst of them, should they differ).
func rowColour(tr, cells *goquery.Selection) string {
	if c := nodeColour(tr.Nodes[0]); c != "" {
		return c
	}
	colour := ""
	all := cells.Length() > 0
	cells.EachWithBreak(func(_ int, c *goquery.Selection) bool {
		cc := nodeColour(c.Nodes[0])
		if cc == "" {
			all = false
			return false
		}
		if colour == "" || severity(cloudConnectStatus(cc)) > severity(cloudConnectStatus(colour)) {
			colour = cc
		}
		return true
	})
	if !all {
		return ""
	}
	return colour
}

// nodeColour reads an element's background colour from its bgcolor attribute or its
// style (background-color or background), lower case; "" when it has none.
func nodeColour(n *html.Node) string {
	var bg, style string
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "bgcolor":
			bg = a.Val
		case "style":
			style = a.Val
		}
	}
	for _, decl := range strings.Split(style, ";") {
		name, value, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "background-color", "background":
			for _, f := range strings.Fields(value) {
				f = strings.TrimSuffix(strings.ToLower(f), "!important")
				if strings.HasPrefix(f, "#") || isColourName(f) {
					bg = f
					break
				}
			}
		}
	}
	return strings.ToLower(strings.TrimSpace(bg))
}

func isColourName(s string) bool {
	switch s {
	case "white", "red", "yellow", "orange", "green", "transparent":
		return true
	}
	return false
}

// Veeam's row colours: the red ones mark a failed tenant, the yellow and orange ones a
// warning; white or none is a success.
var (
	cloudConnectFailed  = map[string]bool{"#fb9895": true, "#ff9999": true, "#f4cccc": true, "#ffb3b3": true, "red": true}
	cloudConnectWarning = map[string]bool{"#ffd96c": true, "#fff2cc": true, "#ffe599": true, "#f9cb9c": true, "yellow": true, "orange": true}
)

// cloudConnectStatus maps a row colour to a status. A colour outside Veeam's lists is
// judged by its hue, so that a changed shade of red is not taken for a success: red
// clearly above green and blue is Failed, red and green clearly above blue is Warning.
func cloudConnectStatus(colour string) string {
	switch {
	case cloudConnectFailed[colour]:
		return StatusFailed
	case cloudConnectWarning[colour]:
		return StatusWarning
	}
	r, g, b, ok := hexColour(colour)
	switch {
	case !ok:
	case r-g > 60 && r-b > 60:
		return StatusFailed
	case r-b > 60 && g-b > 60:
		return StatusWarning
	}
	return StatusSuccess
}

// hexColour reads #rgb or #rrggbb.
func hexColour(s string) (r, g, b int, ok bool) {
	s = strings.TrimPrefix(s, "#")
	if len(s) == 3 {
		s = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	}
	if len(s) != 6 {
		return 0, 0, 0, false
	}
	var v [3]int
	for i := range v {
		n, okHex := hexByte(s[2*i : 2*i+2])
		if !okHex {
			return 0, 0, 0, false
		}
		v[i] = n
	}
	return v[0], v[1], v[2], true
}

func hexByte(s string) (int, bool) {
	n := 0
	for _, c := range []byte(s) {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= int(c - '0')
		case c >= 'a' && c <= 'f':
			n |= int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			n |= int(c-'A') + 10
		default:
			return 0, false
		}
	}
	return n, true
}
