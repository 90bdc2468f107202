// Package covetest is a fake Cove Data Protection JSON-RPC endpoint that behaves as
// Cove does: Login with lower-case username/password answering the visa at the top
// level and the partner id inside result.result; a fresh visa on every answer, each
// valid for a while after it was given; EnumerateAccountStatistics with the visa
// beside the method, a lower-case query, RecordsCount paging and Settings as a list of
// one-key objects; error 13501 for the legacy D02/D03 columns. Faults (5xx, garbage,
// rate limits, slow answers, refused visas) can be queued for the next requests.
package covetest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Default credentials and partner of a new fake.
const (
	Username  = "api-user@msp.example"
	Password  = "correct horse battery staple"
	PartnerID = 424242
)

// DefaultRecordsCount is what Cove answers when a query names no RecordsCount (for
// instance when it says RecordCount).
const DefaultRecordsCount = 100

// Account is an account the fake serves: its id and statistics by column code
// (canonical spelling, e.g. D01F00).
type Account struct {
	ID       int64
	Settings map[string]string
}

// Fault is what the next request gets instead of a proper answer.
type Fault int

// Faults.
const (
	FaultHTTP500     Fault = iota + 1 // HTTP 500 with an HTML body
	FaultHTTP503                      // HTTP 503 with Retry-After: 1
	FaultGarbage                      // HTTP 200 with a body that is not JSON
	FaultRateLimit                    // HTTP 429 with Retry-After: 2
	FaultSlow                         // no answer before the client gives up (waits SlowFor)
	FaultVisaExpired                  // the call is refused for its visa, whatever it is
)

// Server is the fake. Its fields may be changed between requests (under no lock: set
// them before the client runs).
type Server struct {
	*httptest.Server
	URL string // the JSON-RPC endpoint

	Username, Password string
	PartnerID          int64
	// VisaTTL is how long a visa stays valid after the answer that gave it.
	VisaTTL time.Duration
	// SlowFor is how long a FaultSlow request is held.
	SlowFor time.Duration

	mu       sync.Mutex
	now      func() time.Time
	accounts []Account
	visas    map[string]time.Time // visa → when given
	faults   []Fault
	calls    map[string]int
	requests []Request
}

// Request is a call the fake received.
type Request struct {
	Method string
	Visa   string
	Raw    json.RawMessage
}

// New starts a fake with the default credentials and no accounts.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{Username: Username, Password: Password, PartnerID: PartnerID, VisaTTL: 15 * time.Minute,
		SlowFor: 3 * time.Second, now: time.Now, visas: map[string]time.Time{}, calls: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.Server.URL + "/jsonapi"
	t.Cleanup(s.Close)
	return s
}

// SetClock makes the fake judge visas by now (a test's clock).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetAccounts replaces the accounts served (answered in id order).
func (s *Server) SetAccounts(accounts []Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts = slices.Clone(accounts)
	slices.SortFunc(s.accounts, func(a, b Account) int { return int(a.ID - b.ID) })
}

// Update changes one served account's statistics (adds it when new).
func (s *Server) Update(id int64, settings map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.accounts {
		if s.accounts[i].ID == id {
			for k, v := range settings {
				s.accounts[i].Settings[k] = v
			}
			return
		}
	}
	s.accounts = append(s.accounts, Account{ID: id, Settings: settings})
	slices.SortFunc(s.accounts, func(a, b Account) int { return int(a.ID - b.ID) })
}

// Inject queues faults for the next requests, one each.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// ExpireVisas makes every visa given so far invalid (as 15 minutes of silence would).
func (s *Server) ExpireVisas() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.visas)
}

// Calls is how often method was called (faulted requests included).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Requests lists the calls received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

type request struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      any             `json:"id"`
	Visa    string          `json:"visa"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/jsonapi" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var req request
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		s.reply(w, req, "", nil, &rpcError{-32700, "Parse error"})
		return
	}
	s.mu.Lock()
	s.calls[req.Method]++
	s.requests = append(s.requests, Request{Method: req.Method, Visa: req.Visa, Raw: req.Params})
	var fault Fault
	if len(s.faults) > 0 {
		fault, s.faults = s.faults[0], s.faults[1:]
	}
	s.mu.Unlock()

	switch fault {
	case FaultHTTP500:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "<html><body><h1>500 Internal Server Error</h1></body></html>")
		return
	case FaultHTTP503:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case FaultGarbage:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "\x00\x01<<not json at all>>")
		return
	case FaultRateLimit:
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, "Too Many Requests")
		return
	case FaultSlow:
		select {
		case <-r.Context().Done():
		case <-time.After(s.SlowFor):
		}
		return
	case FaultVisaExpired:
		s.reply(w, req, "", nil, &rpcError{2, "Visa is expired or invalid. Login again."})
		return
	}

	if req.JSONRPC != "2.0" {
		s.reply(w, req, "", nil, &rpcError{-32600, "Invalid Request"})
		return
	}
	switch req.Method {
	case "Login":
		s.login(w, req)
	case "EnumerateAccountStatistics":
		s.enumerate(w, req)
	default:
		s.reply(w, req, "", nil, &rpcError{-32601, "Method not found"})
	}
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// reply answers with result (wrapped in result.result, as Cove does) or err, and a
// fresh visa when visa is "new".
func (s *Server) reply(w http.ResponseWriter, req request, visa string, result any, err *rpcError) {
	out := map[string]any{"jsonrpc": "2.0", "id": req.ID}
	if visa != "" {
		out["visa"] = visa
	}
	if err != nil {
		out["error"] = err
	} else {
		out["result"] = map[string]any{"result": result}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) newVisa() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	v := hex.EncodeToString(b)
	s.mu.Lock()
	s.visas[v] = s.now()
	s.mu.Unlock()
	return v
}

func (s *Server) login(w http.ResponseWriter, req request) {
	var p map[string]any
	_ = json.Unmarshal(req.Params, &p)
	// Cove's parameter names are lower-case; Username/Password are not read.
	user, _ := p["username"].(string)
	pass, _ := p["password"].(string)
	if user != s.Username || pass != s.Password {
		s.reply(w, req, "", nil, &rpcError{-32000, "Login failed: user name or password is incorrect"})
		return
	}
	s.reply(w, req, s.newVisa(), map[string]any{"PartnerId": s.PartnerID, "Name": "MSP", "Flags": []string{"NonInteractive"}}, nil)
}

var legacyColumn = regexp.MustCompile(`^D0*[23]F`)

func (s *Server) enumerate(w http.ResponseWriter, req request) {
	s.mu.Lock()
	given, ok := s.visas[req.Visa]
	valid := ok && s.now().Sub(given) < s.VisaTTL
	s.mu.Unlock()
	if !valid {
		s.reply(w, req, "", nil, &rpcError{2, "Visa is expired or invalid. Login again."})
		return
	}
	var p struct {
		Query *struct {
			PartnerID         int64    `json:"PartnerId"`
			StartRecordNumber int      `json:"StartRecordNumber"`
			RecordsCount      *int     `json:"RecordsCount"`
			Columns           []string `json:"Columns"`
		} `json:"query"`
	}
	if err := json.Unmarshal(req.Params, &p); err != nil || p.Query == nil {
		s.reply(w, req, s.newVisa(), nil, &rpcError{-32602, "Invalid params: query is required"})
		return
	}
	q := p.Query
	for _, c := range q.Columns {
		if legacyColumn.MatchString(c) {
			s.reply(w, req, s.newVisa(), nil, &rpcError{13501, "Operation failed because of security reasons (error 13501)"})
			return
		}
	}
	if q.PartnerID != s.PartnerID {
		s.reply(w, req, s.newVisa(), nil, &rpcError{13501, "Operation failed because of security reasons (error 13501)"})
		return
	}
	count := DefaultRecordsCount
	if q.RecordsCount != nil {
		count = *q.RecordsCount
	}
	s.mu.Lock()
	var page []map[string]any
	for i := q.StartRecordNumber; i >= 0 && i < len(s.accounts) && i < q.StartRecordNumber+count; i++ {
		a := s.accounts[i]
		settings := []map[string]string{}
		for _, c := range q.Columns {
			if v, ok := a.Settings[canonical(c)]; ok {
				settings = append(settings, map[string]string{c: v})
			}
		}
		page = append(page, map[string]any{"AccountId": a.ID, "PartnerId": s.PartnerID, "Flags": nil, "Settings": settings})
	}
	s.mu.Unlock()
	if page == nil {
		page = []map[string]any{}
	}
	s.reply(w, req, s.newVisa(), page, nil)
}

var dataColumn = regexp.MustCompile(`^D0*(\d+)F0*(\d+)$`)

func canonical(c string) string {
	if m := dataColumn.FindStringSubmatch(c); m != nil {
		ds, _ := strconv.Atoi(m[1])
		f, _ := strconv.Atoi(m[2])
		return fmt.Sprintf("D%02dF%02d", ds, f)
	}
	return c
}

// Device describes an account in the words of the accounts page, for building the
// statistics Cove would send for it.
type Device struct {
	ID       int64
	Name     string // I1
	Computer string // I18
	Customer string // I8
	OSType   string // I32: "1" workstation, "2" server
	// Sources are the active data sources (I78), e.g. "D01", "D10".
	Sources []string
	// Status is the last session's status code (D09F00 and every source's F00).
	Status string
	// LastSession is the last session's end (D09F15 and every source's F15); zero for none.
	LastSession time.Time
	// LastSuccess is D09F09; zero for none.
	LastSuccess time.Time
	ColorBar    string // D09F08
}

// Account is the device as the fake serves it.
func (d Device) Account() Account {
	set := map[string]string{"I1": d.Name, "I18": d.Computer, "I8": d.Customer, "I32": d.OSType,
		"D09F00": d.Status, "D09F08": d.ColorBar}
	streams := ""
	for _, src := range d.Sources {
		streams += src
		set[canonical(src+"F00")] = d.Status
		if !d.LastSession.IsZero() {
			set[canonical(src+"F15")] = strconv.FormatInt(d.LastSession.Unix(), 10)
		}
	}
	set["I78"] = streams
	if !d.LastSession.IsZero() {
		set["D09F15"] = strconv.FormatInt(d.LastSession.Unix(), 10)
	}
	if !d.LastSuccess.IsZero() {
		set["D09F09"] = strconv.FormatInt(d.LastSuccess.Unix(), 10)
	}
	return Account{ID: d.ID, Settings: set}
}

// Fleet is n servers of customers "Customer 1" … (ten devices each), last backed up
// successfully at last with a full green colour bar: the shape of a large MSP.
func Fleet(n int, last time.Time) []Account {
	out := make([]Account, n)
	for i := range out {
		out[i] = Device{ID: int64(100000 + i), Name: fmt.Sprintf("device-%05d", i), Computer: fmt.Sprintf("SRV-%05d", i),
			Customer: fmt.Sprintf("Customer %d", i/10+1), OSType: "2", Sources: []string{"D01", "D10"}, Status: "5",
			LastSession: last, LastSuccess: last, ColorBar: "5555555555555555555555555555"}.Account()
	}
	return out
}

// Session is the statistics of a new last session at at with status, on the given data
// sources, for Update.
func Session(status string, at time.Time, sources ...string) map[string]string {
	set := map[string]string{"D09F00": status, "D09F15": strconv.FormatInt(at.Unix(), 10)}
	if status == "5" {
		set["D09F09"] = set["D09F15"]
	}
	for _, src := range sources {
		set[canonical(src+"F00")] = status
		set[canonical(src+"F15")] = set["D09F15"]
	}
	return set
}
