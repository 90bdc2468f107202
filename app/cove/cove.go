// Package cove is the Cove Data Protection (N-able) integration: the JSON-RPC client,
// the import of every account into cove_accounts, the runs of linked accounts (through
// ingest.CreateRuns), the 28-day colour bar backfill, offline workstations, and the
// accounts page's queries and link actions.
package cove

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Column codes read from EnumerateAccountStatistics. D09 is the total over the
// account's data sources; Dnn are the data sources, Fnn their statistics.
const (
	ColAccountName   = "I1"     // device / account name
	ColComputerName  = "I18"    // computer name
	ColCustomer      = "I8"     // the customer (partner) the account is under
	ColDataSources   = "I78"    // active data sources, a code stream such as "D01D10"
	ColOSType        = "I32"    // 1 workstation, 2 server
	ColLastStatus    = "D09F00" // last session status code
	ColLastSuccess   = "D09F09" // last successful session, Unix time
	ColLastSession   = "D09F15" // last session end, Unix time
	ColColorBar      = "D09F08" // 28 days, one character per day, oldest first
	fieldStatus      = "F00"
	fieldSessionTime = "F15"
)

// DataSource is a Cove data source the import reports on.
type DataSource struct {
	Code  string // D01, D10, …
	Label string
}

// DataSources are the data sources whose last status and time are read per account;
// an account gets one object per active one. Never the legacy D02/D03 columns: Cove
// refuses a call that asks for them (error 13501).
var DataSources = []DataSource{
	{"D01", "Files and Folders"},
	{"D10", "MS SQL (VSS)"},
	{"D11", "SharePoint (VSS)"},
	{"D19", "M365 Exchange"},
	{"D20", "M365 OneDrive"},
	{"D05", "M365 SharePoint"},
	{"D23", "M365 Teams"},
}

// otherSources are labels of data sources that may be active on an account without
// being read per data source.
var otherSources = map[string]string{"D02": "System State", "D09": "Total"}

// m365Sources are the Microsoft 365 data sources: an account with only these is a
// Microsoft 365 tenant, not a machine.
var m365Sources = map[string]bool{"D05": true, "D19": true, "D20": true, "D23": true}

// Columns is what the import asks Cove for.
func Columns() []string {
	cols := []string{ColAccountName, ColComputerName, ColCustomer, ColDataSources, ColOSType,
		ColLastStatus, ColLastSuccess, ColLastSession, ColColorBar}
	for _, ds := range DataSources {
		cols = append(cols, ds.Code+fieldStatus, ds.Code+fieldSessionTime)
	}
	return cols
}

var dataColumnRE = regexp.MustCompile(`^D0*(\d{1,3})F0*(\d{1,3})$`)

// Column is the canonical spelling of a column code: Cove accepts D1F00 as well as
// D01F00, and answers in the spelling asked for.
func Column(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	if m := dataColumnRE.FindStringSubmatch(code); m != nil {
		ds, _ := strconv.Atoi(m[1])
		f, _ := strconv.Atoi(m[2])
		return fmt.Sprintf("D%02dF%02d", ds, f)
	}
	return code
}

// Run statuses (the ones job_runs takes).
const (
	statusSuccess = "Success"
	statusWarning = "Warning"
	statusFailed  = "Failed"
)

// sessionStatuses maps Cove's session status codes to a run status and a label.
var sessionStatuses = map[int]struct{ status, label string }{
	1:  {statusWarning, "In process"},
	2:  {statusFailed, "Failed"},
	3:  {statusFailed, "Aborted"},
	5:  {statusSuccess, "Completed"},
	6:  {statusFailed, "Interrupted"},
	7:  {statusWarning, "Not started"},
	8:  {statusWarning, "Completed with errors"},
	9:  {statusWarning, "In progress with faults"},
	10: {statusFailed, "Over quota"},
	11: {statusWarning, "No selection"},
	12: {statusWarning, "Restarted"},
}

// MapStatus turns a Cove session status code into a run status and a readable label.
// An unknown or missing code is a Warning whose label says what came, never dropped.
func MapStatus(code string) (status, label string) {
	code = strings.TrimSpace(code)
	if n, err := strconv.Atoi(code); err == nil {
		if s, ok := sessionStatuses[n]; ok {
			return s.status, s.label
		}
	}
	if code == "" {
		return statusWarning, "no session status reported"
	}
	return statusWarning, "unknown Cove status code " + strconv.Quote(clip(code, 20))
}

var sourceCodeRE = regexp.MustCompile(`D0*(\d{1,3})`)

// SourceCodes reads the active data sources of I78 (a code stream such as "D01D10D19"
// or "D1,D10"): their codes in canonical form (D01), in order, once each.
func SourceCodes(stream string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range sourceCodeRE.FindAllStringSubmatch(strings.ToUpper(stream), 64) {
		n, _ := strconv.Atoi(m[1])
		code := fmt.Sprintf("D%02d", n)
		if !seen[code] {
			seen[code] = true
			out = append(out, code)
		}
	}
	return out
}

// SourceLabel is a data source's readable name.
func SourceLabel(code string) string {
	for _, ds := range DataSources {
		if ds.Code == code {
			return ds.Label
		}
	}
	if l, ok := otherSources[code]; ok {
		return l
	}
	return "Data source " + code
}

// SourceLabels is I78 as readable names, comma-separated.
func SourceLabels(stream string) string {
	codes := SourceCodes(stream)
	labels := make([]string, len(codes))
	for i, c := range codes {
		labels[i] = SourceLabel(c)
	}
	return strings.Join(labels, ", ")
}

// Backup types of Cove jobs (jobs.backup_type). Workstation jobs get no schedule-based
// missed runs (app/schedule leaves out types containing "workstation").
const (
	TypeServer      = "Server"
	TypeWorkstation = "Workstation"
	TypeM365        = "Microsoft 365"
)

// Software is the backup software of Cove jobs.
const Software = "Cove Data Protection"

// AccountType is the backup type of an account: Microsoft 365 when its data sources
// are Microsoft 365 ones only, else from its OS type (I32: 1 or "Workstation" is a
// workstation, anything else a server).
func AccountType(osType, dataSources string) string {
	codes := SourceCodes(dataSources)
	m365 := len(codes) > 0
	for _, c := range codes {
		if !m365Sources[c] && c != "D09" {
			m365 = false
		}
	}
	if m365 {
		return TypeM365
	}
	switch strings.ToLower(strings.TrimSpace(osType)) {
	case "1", "workstation":
		return TypeWorkstation
	case "":
		if len(codes) == 0 {
			return ""
		}
	}
	return TypeServer
}

// ColorBarDays is how many days the colour bar covers (today included).
const ColorBarDays = 28

// ColorBarDay is one day of the 28-day colour bar.
type ColorBarDay struct {
	Offset int    // days before today: 27 … 0
	Code   string // the day's session status code; "0" = no backup that day
	Status string // Success / Warning / Failed, "" for no backup
	Label  string
}

// ParseColorBar reads D09F08: one character per day, oldest first, the last one today.
// Digits are session status codes; A, B, C stand for 10, 11, 12 (codes past one
// digit). A bar shorter than 28 days covers the last days; a longer one is cut to the
// last 28. Anything else in it is an unknown code (a Warning).
func ParseColorBar(bar string) []ColorBarDay {
	r := []rune(strings.TrimSpace(bar))
	if len(r) > ColorBarDays {
		r = r[len(r)-ColorBarDays:]
	}
	out := make([]ColorBarDay, len(r))
	for i, ch := range r {
		d := ColorBarDay{Offset: len(r) - 1 - i, Code: colorBarCode(ch)}
		if d.Code != "0" {
			d.Status, d.Label = MapStatus(d.Code)
		} else {
			d.Label = "no backup"
		}
		out[i] = d
	}
	return out
}

func colorBarCode(ch rune) string {
	switch {
	case ch >= '0' && ch <= '9':
		return string(ch)
	case ch == 'A' || ch == 'a':
		return "10"
	case ch == 'B' || ch == 'b':
		return "11"
	case ch == 'C' || ch == 'c':
		return "12"
	}
	return string(ch)
}

// DaysWithoutBackup is how many days at the end of the colour bar (today included)
// have no backup; the whole bar's length when none has.
func DaysWithoutBackup(bar string) int {
	days := ParseColorBar(bar)
	n := 0
	for i := len(days) - 1; i >= 0 && days[i].Code == "0"; i-- {
		n++
	}
	return n
}
