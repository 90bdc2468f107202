// Package parsers turns a report mail into a ParsedRun. Each vendor parser lives in
// its own file and registers itself; the Registry tries them in order (specific before
// generic) and the generic fallback reads a status word from the subject.
package parsers

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Statuses a parse can report.
const (
	StatusSuccess = "Success"
	StatusWarning = "Warning"
	StatusFailed  = "Failed"
	StatusInfo    = "Info" // informational mails (updates, certificates)
)

// Mail is what a parser sees of a stored mail.
type Mail struct {
	From     string // lower-case address only
	Subject  string
	Text     string    // text/plain body (decoded)
	HTML     string    // text/html body (decoded, not sanitised)
	Received time.Time // when the mailbox received it (any zone)
	Date     time.Time // the Date header, in the offset it was written with; zero if missing
	// DateZoneUnknown: the Date header's offset is "-0000", which says the writer did
	// not know its local zone (RFC 5322).
	DateZoneUnknown bool
	// Fallback is the zone report times are read in when the mail does not tell the
	// sender's reliably: the UI timezone. When nil, the registry's (Registry.In), else UTC.
	Fallback    *time.Location
	Attachments []Attachment

	zone *time.Location // set by the registry to read a report again in another zone
}

// SenderLocation is the zone a report's clock times (written without a zone by most
// backup products) are read in: the sending machine's own, when the mail tells it
// reliably (the offset of its Date header, see DateZoneTrusted), else Fallback (the UI
// timezone), else UTC. Registry.Parse then checks the result against the mail: a
// report that would end after its mail arrived was not read in the sender's zone.
func (m *Mail) SenderLocation() *time.Location {
	switch {
	case m.zone != nil:
		return m.zone
	case m.DateZoneTrusted():
		return m.Date.Location()
	case m.Fallback != nil:
		return m.Fallback
	}
	return time.UTC
}

// Attachment is a non-body part a parser may read (e.g. an XML or HTML report).
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// Object is one item a backup job covered (a VM, a share, a mailbox, a disk), with its
// result in the run.
type Object struct {
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"`
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
	// ObservedAt is when the source saw the object's result, if it tells (an
	// integration's per-object session time); else the run's time is used.
	ObservedAt *time.Time `json:"observed_at,omitempty"`
}

// ParsedRun is the source-neutral result every source produces: a mail's parser here,
// an integration its own (see ingest.Report).
type ParsedRun struct {
	BackupSoftware string     `json:"backup_software"`
	BackupType     string     `json:"backup_type"`
	JobName        string     `json:"job_name"`
	Status         string     `json:"status"`
	StartedAt      *time.Time `json:"started_at,omitempty"`
	EndedAt        *time.Time `json:"ended_at,omitempty"`
	Host           string     `json:"host,omitempty"`
	Message        string     `json:"message,omitempty"`
	Objects        []Object   `json:"objects,omitempty"`
	Informational  bool       `json:"informational,omitempty"` // never learns a schedule
	// TimeNote says why the times are not simply the report's (set by the registry,
	// see settleTimes); shown with the run's time.
	TimeNote string `json:"time_note,omitempty"`
	// ReportKey is the report's own identity: its status and its start and end as
	// written in it, whatever zone they were read in; "" when the report gives no
	// usable start. The same report received twice has the same key (set by the
	// registry, see reportKey).
	ReportKey string `json:"-"`
}

// Info describes a parser for the /parsers page and the playground.
type Info struct {
	Name           string   // e.g. "veeam_backup_job"
	BackupSoftware string   // e.g. "Veeam Backup & Replication"
	BackupTypes    []string // e.g. ["Backup Job", "Backup Copy Job"]
	Match          string   // the match criteria in words
	Order          int      // lower is tried first
	Enabled        bool
	Informational  bool
	Generic        bool     // the keyword fallback
	Examples       []string // generic example subjects (no customer names)
}

// Parser recognises and parses one kind of report mail.
type Parser interface {
	Info() Info
	// Match reports whether the mail is this parser's kind (sender, subject, body).
	Match(m *Mail) bool
	// Parse extracts the run. An error means the mail matched but could not be read;
	// it is stored with the mail and shown as unparsed.
	Parse(m *Mail) (*ParsedRun, error)
}

// Attempt records one parser tried on a mail (for the playground).
type Attempt struct {
	Parser  string `json:"parser"`
	Matched bool   `json:"matched"`
	Error   string `json:"error,omitempty"`
}

// Result is the outcome of running the registry over a mail.
type Result struct {
	Parser string     `json:"parser,omitempty"` // the parser that produced Run; "" if none
	Run    *ParsedRun `json:"run,omitempty"`
	Error  string     `json:"error,omitempty"` // why nothing usable came out
	Tried  []Attempt  `json:"tried"`
}

// ErrNoParser is the Error of a Result when no parser matched.
var ErrNoParser = errors.New("no parser recognised this mail")

// Registry holds parsers in the order they are tried.
type Registry struct {
	parsers  []Parser
	fallback *time.Location // see In
}

// In returns a copy of the registry that reads a report in loc (the UI timezone) when
// its mail does not tell the sender's zone reliably (see Mail.SenderLocation).
func (r *Registry) In(loc *time.Location) *Registry {
	c := *r
	c.fallback = loc
	return &c
}

// NewRegistry returns a registry of ps, sorted by Info().Order (then name).
func NewRegistry(ps ...Parser) *Registry {
	r := &Registry{parsers: append([]Parser(nil), ps...)}
	sort.SliceStable(r.parsers, func(i, j int) bool {
		a, b := r.parsers[i].Info(), r.parsers[j].Info()
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.Name < b.Name
	})
	return r
}

// Parsers returns the parsers in order.
func (r *Registry) Parsers() []Parser { return append([]Parser(nil), r.parsers...) }

// Parse tries each enabled parser in order; the first that matches decides. A parser
// that matches but fails to parse ends the search with its error: a later, more
// generic parser must not paper over a vendor mail that changed shape. The run's
// times are then made to fit the mail (settleTimes).
func (r *Registry) Parse(in *Mail) Result {
	var res Result
	m := *in // the registry's own copy: it sets the zones
	m.zone = nil
	if m.Fallback == nil {
		m.Fallback = r.fallback
	}
	for _, p := range r.parsers {
		info := p.Info()
		if !info.Enabled {
			continue
		}
		if !p.Match(&m) {
			res.Tried = append(res.Tried, Attempt{Parser: info.Name})
			continue
		}
		run, err := p.Parse(&m)
		if err != nil {
			res.Tried = append(res.Tried, Attempt{Parser: info.Name, Matched: true, Error: err.Error()})
			res.Parser = info.Name
			res.Error = fmt.Sprintf("%s: %v", info.Name, err)
			return res
		}
		res.Tried = append(res.Tried, Attempt{Parser: info.Name, Matched: true})
		run = settleTimes(p, &m, run)
		if info.Informational {
			run.Informational = true
		}
		res.Parser, res.Run = info.Name, run
		return res
	}
	res.Error = ErrNoParser.Error()
	return res
}

var registered []Parser

// register adds a parser to the default registry; vendor files call it from init.
func register(p Parser) { registered = append(registered, p) }

// Default returns the registry of every built-in parser.
func Default() *Registry { return NewRegistry(registered...) }
