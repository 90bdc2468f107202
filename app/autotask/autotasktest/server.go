// Package autotasktest is a fake Autotask REST API for tests: zone lookup,
// credential checks, seeded Companies and Tickets, queries with paging,
// reads by id, ticket creation and fault injection.
package autotasktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/autotask"
)

// Credentials the fake accepts unless the test changes them.
const (
	Username        = "api@example.com"
	Secret          = "s3cret"
	IntegrationCode = "INTEGRATION"
)

// Request is one call the fake received.
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   string
}

// TicketFields is what the fake answers for Tickets/entityInformation/fields: the
// picklists Backupchecks uses, with one inactive choice each way to be skipped.
var TicketFields = []autotask.Field{
	{Name: "title"},
	{Name: "queueID", IsPickList: true, PicklistValues: []autotask.PicklistValue{
		{Value: "29682833", Label: "Client Portal", IsActive: true, SortOrder: 2},
		{Value: "29683354", Label: "Monitoring Alert", IsActive: true, SortOrder: 1},
		{Value: "29683400", Label: "Old queue", IsActive: false, SortOrder: 3},
	}},
	{Name: "priority", IsPickList: true, PicklistValues: []autotask.PicklistValue{
		{Value: "1", Label: "High", IsActive: true, SortOrder: 1},
		{Value: "2", Label: "Medium", IsActive: true, IsDefault: true, SortOrder: 2},
		{Value: "3", Label: "Low", IsActive: true, SortOrder: 3},
	}},
	{Name: "status", IsPickList: true, PicklistValues: []autotask.PicklistValue{
		{Value: "1", Label: "New", IsActive: true, IsDefault: true, SortOrder: 1},
		{Value: "5", Label: "Complete", IsActive: true, SortOrder: 5},
		{Value: "8", Label: "In Progress", IsActive: true, SortOrder: 2},
	}},
	{Name: "source", IsPickList: true, PicklistValues: []autotask.PicklistValue{
		{Value: "4", Label: "Monitoring Alert", IsActive: true, SortOrder: 1},
		{Value: "2", Label: "Phone", IsActive: true, SortOrder: 2},
	}},
}

// Server is the fake. Exported fields may be changed before the calls they affect.
type Server struct {
	*httptest.Server

	mu sync.Mutex
	// PageSize is the largest page the fake returns (default 500).
	PageSize int
	// FailFirstZone makes the first zone lookup host answer 503.
	FailFirstZone bool
	// BadIDs are ids that make any query naming them answer 400 and whose GET is 404.
	BadIDs map[int64]bool
	// Requests and Sleeps record what happened, for assertions.
	Requests []Request
	Sleeps   []time.Duration

	user, secret, code string
	records            map[string]map[int64]map[string]any // entity → id → fields
	nextID             int64
	cursors            map[string][]map[string]any
	faults             []fault
}

type fault struct {
	status     int
	retryAfter string
}

// NewServer starts a fake that is closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{
		PageSize: 500,
		BadIDs:   map[int64]bool{},
		user:     Username, secret: Secret, code: IntegrationCode,
		records: map[string]map[int64]map[string]any{"Companies": {}, "Tickets": {}},
		nextID:  1000,
		cursors: map[string][]map[string]any{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Config is a client Config for this fake whose Sleep records instead of waiting.
func (s *Server) Config() autotask.Config {
	return autotask.Config{
		Username:        Username,
		Secret:          Secret,
		IntegrationCode: IntegrationCode,
		ZoneLookupURLs: []string{
			s.URL + "/zone1/atservicesrest/v1.0/zoneInformation",
			s.URL + "/zone2/atservicesrest/v1.0/zoneInformation",
		},
		HTTPClient: s.Client(),
		MaxRetries: 3,
		Sleep: func(ctx context.Context, d time.Duration) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.Sleeps = append(s.Sleeps, d)
			return ctx.Err()
		},
	}
}

// FailNext makes the next n API calls answer status (e.g. 429 or 500),
// with a Retry-After header when retryAfter is not empty.
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status, retryAfter})
	}
}

// AddCompany seeds a company and returns its id.
func (s *Server) AddCompany(name string, active bool) int64 {
	return s.Add("Companies", map[string]any{"companyName": name, "isActive": active})
}

// AddTicket seeds a ticket and returns its id.
func (s *Server) AddTicket(companyID int64, title string, status int64) int64 {
	return s.Add("Tickets", map[string]any{"companyID": companyID, "title": title, "status": status})
}

// Add seeds any entity, or replaces the one with the given id; id (and ticketNumber
// for Tickets) are filled in when absent.
func (s *Server) Add(entity string, fields map[string]any) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(entity, fields)
}

func (s *Server) add(entity string, fields map[string]any) int64 {
	// A JSON round trip makes seeded and posted records look alike (numbers as float64).
	b, _ := json.Marshal(fields)
	rec := map[string]any{}
	_ = json.Unmarshal(b, &rec)
	id, ok := rec["id"].(float64)
	if !ok {
		s.nextID++
		id = float64(s.nextID)
		rec["id"] = id
	}
	if entity == "Tickets" {
		if _, ok := rec["ticketNumber"]; !ok {
			rec["ticketNumber"] = fmt.Sprintf("T20240101.%04d", int64(id)%10000)
		}
		if _, ok := rec["lastActivityDate"]; !ok {
			rec["lastActivityDate"] = "2024-01-01T10:00:00.000Z"
		}
	}
	if s.records[entity] == nil {
		s.records[entity] = map[int64]map[string]any{}
	}
	s.records[entity][int64(id)] = rec
	return int64(id)
}

// Remove deletes a record, as when a company or ticket is deleted in Autotask.
func (s *Server) Remove(entity string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records[entity], id)
}

// Record returns a copy of a stored record, or nil.
func (s *Server) Record(entity string, id int64) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.records[entity][id]
	if rec == nil {
		return nil
	}
	cp := map[string]any{}
	for k, v := range rec {
		cp[k] = v
	}
	return cp
}

// Calls returns the recorded requests whose "METHOD path" contains substr.
func (s *Server) Calls(substr string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.Requests {
		if strings.Contains(r.Method+" "+r.Path, substr) {
			out = append(out, r)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, msg ...string) {
	writeJSON(w, status, map[string]any{"errors": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests = append(s.Requests, Request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})

	if strings.HasSuffix(r.URL.Path, "/zoneInformation") {
		s.zoneInfo(w, r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/ATServicesRest/v1.0/")
	if !ok {
		writeErr(w, http.StatusNotFound, "no such endpoint")
		return
	}
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeErr(w, f.status, "injected fault")
		return
	}
	if r.Header.Get("UserName") != s.user || r.Header.Get("Secret") != s.secret || r.Header.Get("ApiIntegrationCode") != s.code {
		w.WriteHeader(http.StatusUnauthorized) // Autotask sends no body with its 401
		return
	}
	parts := strings.Split(rest, "/")
	entity := parts[0]
	if rest == "Tickets/entityInformation/fields" && r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, map[string]any{"fields": TicketFields})
		return
	}
	if _, ok := s.records[entity]; !ok {
		writeErr(w, http.StatusNotFound, "unknown entity "+entity)
		return
	}
	switch {
	case len(parts) == 2 && parts[1] == "query" && r.Method == http.MethodPost:
		s.query(w, entity, body)
	case len(parts) == 3 && parts[1] == "query" && parts[2] == "next" && r.Method == http.MethodGet:
		s.nextPage(w, entity, r.URL.Query().Get("cursor"))
	case len(parts) == 2 && r.Method == http.MethodGet:
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			writeErr(w, http.StatusBadRequest, "invalid id")
			return
		}
		rec := s.records[entity][id]
		if rec == nil || s.BadIDs[id] {
			writeErr(w, http.StatusNotFound, fmt.Sprintf("%s %d not found", entity, id))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"item": rec})
	case len(parts) == 1 && r.Method == http.MethodPost && entity == "Tickets":
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			writeErr(w, http.StatusBadRequest, "invalid JSON")
			return
		}
		if in["title"] == nil || in["companyID"] == nil {
			writeErr(w, http.StatusBadRequest, "title and companyID are required")
			return
		}
		delete(in, "id")
		writeJSON(w, http.StatusOK, map[string]any{"itemId": s.add(entity, in)})
	default:
		writeErr(w, http.StatusMethodNotAllowed, "not supported by the fake")
	}
}

func (s *Server) zoneInfo(w http.ResponseWriter, r *http.Request) {
	if s.FailFirstZone && strings.HasPrefix(r.URL.Path, "/zone1/") {
		writeErr(w, http.StatusServiceUnavailable, "unavailable")
		return
	}
	if !strings.EqualFold(r.URL.Query().Get("user"), s.user) {
		writeErr(w, http.StatusNotFound, "Zone information could not be determined")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"zoneName": "Fake Zone", "url": s.URL + "/ATServicesRest/",
		"webUrl": s.URL + "/", "ci": 1,
	})
}

func (s *Server) query(w http.ResponseWriter, entity string, body []byte) {
	var q struct {
		Filter     []autotask.Filter `json:"filter"`
		MaxRecords int               `json:"MaxRecords"`
	}
	if err := json.Unmarshal(body, &q); err != nil || len(q.Filter) == 0 {
		writeErr(w, http.StatusBadRequest, "a filter is required")
		return
	}
	if bad := s.badIDIn(q.Filter); bad != 0 {
		writeErr(w, http.StatusBadRequest, fmt.Sprintf("invalid id %d", bad))
		return
	}
	if err := checkOps(q.Filter); err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	var matched []map[string]any
	for _, rec := range s.records[entity] {
		if ok, _ := matchAll(rec, q.Filter); ok {
			matched = append(matched, rec)
		}
	}
	slices.SortFunc(matched, func(a, b map[string]any) int { return int(a["id"].(float64) - b["id"].(float64)) })
	if q.MaxRecords > 0 && len(matched) > q.MaxRecords {
		matched = matched[:q.MaxRecords]
	}
	s.writePage(w, entity, matched)
}

func (s *Server) nextPage(w http.ResponseWriter, entity, cursor string) {
	rest, ok := s.cursors[cursor]
	if !ok {
		writeErr(w, http.StatusBadRequest, "unknown cursor")
		return
	}
	delete(s.cursors, cursor)
	s.writePage(w, entity, rest)
}

func (s *Server) writePage(w http.ResponseWriter, entity string, recs []map[string]any) {
	size := max(s.PageSize, 1)
	items := recs
	var next any
	if len(recs) > size {
		items = recs[:size]
		cursor := fmt.Sprintf("c%d", len(s.Requests))
		s.cursors[cursor] = recs[size:]
		next = fmt.Sprintf("%s/ATServicesRest/v1.0/%s/query/next?cursor=%s", s.URL, entity, cursor)
	}
	if items == nil {
		items = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"items": items,
		"pageDetails": map[string]any{
			"count": len(items), "requestCount": size, "prevPageUrl": nil, "nextPageUrl": next,
		},
	})
}

func (s *Server) badIDIn(fs []autotask.Filter) int64 {
	for _, f := range fs {
		if bad := s.badIDIn(f.Items); bad != 0 {
			return bad
		}
		if !strings.EqualFold(f.Field, "id") {
			continue
		}
		for _, v := range values(f.Value) {
			if id, ok := v.(float64); ok && s.BadIDs[int64(id)] {
				return int64(id)
			}
		}
	}
	return 0
}

func values(v any) []any {
	if vs, ok := v.([]any); ok {
		return vs
	}
	return []any{v}
}

// checkOps rejects operators the fake does not know, even when no record is matched.
func checkOps(fs []autotask.Filter) error {
	for _, f := range fs {
		switch strings.ToLower(f.Op) {
		case "and", "or":
			if err := checkOps(f.Items); err != nil {
				return err
			}
		case "exist", "eq", "noteq", "in", "contains":
		default:
			return fmt.Errorf("operator %q not supported by the fake", f.Op)
		}
	}
	return nil
}

func matchAll(rec map[string]any, fs []autotask.Filter) (bool, error) {
	for _, f := range fs {
		ok, err := match(rec, f)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func match(rec map[string]any, f autotask.Filter) (bool, error) {
	field := lookup(rec, f.Field)
	switch strings.ToLower(f.Op) {
	case "and":
		return matchAll(rec, f.Items)
	case "or":
		for _, it := range f.Items {
			ok, err := match(rec, it)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "exist":
		return field != nil, nil
	case "eq":
		return equal(field, f.Value), nil
	case "noteq":
		return !equal(field, f.Value), nil
	case "in":
		for _, v := range values(f.Value) {
			if equal(field, v) {
				return true, nil
			}
		}
		return false, nil
	case "contains":
		return strings.Contains(strings.ToLower(fmt.Sprint(field)), strings.ToLower(fmt.Sprint(f.Value))), nil
	}
	return false, fmt.Errorf("operator %q not supported by the fake", f.Op)
}

// lookup matches field names case-insensitively, as Autotask does.
func lookup(rec map[string]any, field string) any {
	for k, v := range rec {
		if strings.EqualFold(k, field) {
			return v
		}
	}
	return nil
}

func equal(a, b any) bool {
	return strings.EqualFold(fmt.Sprint(a), fmt.Sprint(b))
}
