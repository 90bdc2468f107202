// Package graphtest is a fake Microsoft Graph (with the Entra ID token endpoint) that speaks
// the real wire format, for the tests of the Graph source and of the import pipeline.
package graphtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/backupchecks/backupchecks/app/mail/graph"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeServer is an httptest server speaking Microsoft Graph's wire format for one
// mailbox, with the Entra ID token endpoint in front. Tests here and in the import
// pipeline point a Config at it (see Config), fill folders with raw MIME, inject
// faults and assert on the calls it recorded.
type FakeServer struct {
	URL          string // server root: the LoginURL; URL+"/v1.0" is the GraphURL
	TenantID     string
	ClientID     string
	ClientSecret string
	Mailbox      string // the one mailbox's UPN; any other user is "invalid"

	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	folders  []*fakeFolder
	messages []*fakeMessage
	faults   []*Fault
	missing  map[string]bool // message ids whose $value answers 404
	tokens   map[string]bool // access tokens issued and not revoked
	calls    []FakeCall
	pageSize int
	seq      int
	slept    []time.Duration
	sent     []SentMail
}

// SentMail is a message posted to sendMail, as Graph received it.
type SentMail struct {
	Subject     string
	Body        string
	To, Bcc     []string
	Attachments []SentAttachment
}

// SentAttachment is a file attachment of a SentMail, decoded.
type SentAttachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// FakeCall is one request the fake answered.
type FakeCall struct {
	Method string
	Path   string // unescaped, e.g. "/v1.0/users/backups@msp.example/messages/AAkALg…/$value"
	Query  url.Values
	Header http.Header
	Body   []byte
	Status int // as answered; 0 if the client gave up first
}

// Fault is an injected failure for the next Times Graph calls (never the token
// endpoint) whose path contains Match ("" matches all): after Delay, the call is
// answered with Status and, if set, a Retry-After header. Status 0 answers normally,
// so a Delay alone is a slow response.
type Fault struct {
	Match      string
	Times      int
	Status     int
	RetryAfter string // seconds or an HTTP date, sent as is
	Delay      time.Duration
	// Garbage answers 200 with this body instead (a proxy's error page, a cut-off
	// document): what a broken peer sends in place of JSON.
	Garbage string
}

type fakeFolder struct {
	id, name, wellKnown, parentID string
}

type fakeMessage struct {
	immutableID, restID, folderID string
	received                      time.Time
	subject, messageID            string
	raw                           []byte
}

const fakeRootID = "AQMkADAwATNiZmYAZC1root"

// NewFakeServer starts a fake with the usual top-level folders (Inbox, Drafts, Sent
// Items, Deleted Items, Archive, Junk Email) and no messages; it stops with the test.
func NewFakeServer(t testing.TB) *FakeServer {
	t.Helper()
	f := &FakeServer{
		TenantID:     "4f1c6a52-8d2e-4b7a-9a3e-0c5d7e9f1a2b",
		ClientID:     "9b0e7c31-5a4d-4e2f-8c6b-1d3f5a7b9c0e",
		ClientSecret: "fake~secret.value",
		Mailbox:      "backups@msp.example",
		t:            t,
		missing:      map[string]bool{},
		tokens:       map[string]bool{},
	}
	for _, wk := range []struct{ name, wellKnown string }{
		{"Inbox", "inbox"}, {"Drafts", "drafts"}, {"Sent Items", "sentitems"},
		{"Deleted Items", "deleteditems"}, {"Archive", "archive"}, {"Junk Email", "junkemail"},
	} {
		f.folders = append(f.folders, &fakeFolder{id: f.newID("AQMkADAwATNiZmYAZC1"), name: wk.name, wellKnown: wk.wellKnown, parentID: fakeRootID})
	}
	f.srv = httptest.NewServer(f)
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Config returns a Config for the fake's mailbox that imports from source and moves
// into processed, with a short client timeout and a Sleep that only records (Slept).
func (f *FakeServer) Config(source, processed string) graph.Config {
	return graph.Config{
		TenantID:        f.TenantID,
		ClientID:        f.ClientID,
		ClientSecret:    f.ClientSecret,
		Mailbox:         f.Mailbox,
		SourceFolder:    source,
		ProcessedFolder: processed,
		LoginURL:        f.URL,
		GraphURL:        f.URL + "/v1.0",
		HTTPClient:      &http.Client{Timeout: 5 * time.Second},
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.slept = append(f.slept, d)
			f.mu.Unlock()
			return ctx.Err()
		},
	}
}

// Slept returns the waits that Config's Sleep was asked for, in order.
func (f *FakeServer) Slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.slept)
}

// AddFolder creates the folders along path ("Inbox/Backup reports") that do not
// exist yet and returns the last one's id.
func (f *FakeServer) AddFolder(path string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	parent := fakeRootID
	for _, name := range strings.Split(path, "/") {
		if c := f.child(parent, name); c != nil {
			parent = c.id
			continue
		}
		c := &fakeFolder{id: f.newID("AQMkADAwATNiZmYAZC1"), name: name, parentID: parent}
		f.folders = append(f.folders, c)
		parent = c.id
	}
	return parent
}

// FolderID returns the id of the folder at path; the test fails if there is none.
func (f *FakeServer) FolderID(path string) string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mustFolder(path).id
}

// AddMessage puts raw MIME into the folder at path as received at that time and
// returns the message's immutable id.
func (f *FakeServer) AddMessage(path string, raw []byte, received time.Time) string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	m := &fakeMessage{
		immutableID: f.newID("AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A"),
		restID:      f.newID("AAMkADAwATM0MDAAMS1"),
		folderID:    f.mustFolder(path).id,
		received:    received.UTC().Truncate(time.Second),
		raw:         bytes.Clone(raw),
	}
	if parsed, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.subject = parsed.Header.Get("Subject")
		m.messageID = parsed.Header.Get("Message-Id")
	}
	f.messages = append(f.messages, m)
	return m.immutableID
}

// Messages returns the immutable ids of the messages in the folder at path, oldest first.
func (f *FakeServer) Messages(path string) []string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, m := range f.inFolder(f.mustFolder(path).id, true) {
		ids = append(ids, m.immutableID)
	}
	return ids
}

// RemoveMessage deletes a message, as a user in Outlook might.
func (f *FakeServer) RemoveMessage(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.messages = slices.DeleteFunc(f.messages, func(m *fakeMessage) bool { return m.immutableID == id || m.restID == id })
}

// RemoveFolder deletes the folder at path with its subfolders and their messages.
func (f *FakeServer) RemoveFolder(path string) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	gone := map[string]bool{f.mustFolder(path).id: true}
	for changed := true; changed; {
		changed = false
		for _, fl := range f.folders {
			if gone[fl.parentID] && !gone[fl.id] {
				gone[fl.id], changed = true, true
			}
		}
	}
	f.folders = slices.DeleteFunc(f.folders, func(fl *fakeFolder) bool { return gone[fl.id] })
	f.messages = slices.DeleteFunc(f.messages, func(m *fakeMessage) bool { return gone[m.folderID] })
}

// MissingValue makes the message's $value answer 404 while the listing still shows it.
func (f *FakeServer) MissingValue(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.missing[id] = true
}

// Inject adds a fault; faults are consumed in the order injected.
func (f *FakeServer) Inject(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault)
}

// ClearFaults drops the faults not consumed yet.
func (f *FakeServer) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// Throttle answers the next n Graph calls with 429 and the given Retry-After.
func (f *FakeServer) Throttle(n int, retryAfter string) {
	f.Inject(Fault{Times: n, Status: http.StatusTooManyRequests, RetryAfter: retryAfter})
}

// FailNext answers the next n Graph calls with status (e.g. 500).
func (f *FakeServer) FailNext(n, status int) {
	f.Inject(Fault{Times: n, Status: status})
}

// SlowNext holds the next n Graph calls for d before answering them normally.
func (f *FakeServer) SlowNext(n int, d time.Duration) {
	f.Inject(Fault{Times: n, Delay: d})
}

// SetPageSize caps every page at n items whatever $top asks, as Graph caps large pages.
func (f *FakeServer) SetPageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageSize = n
}

// RevokeTokens invalidates every access token issued so far.
func (f *FakeServer) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

// Calls returns every request so far, token requests included, in arrival order.
func (f *FakeServer) Calls() []FakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// TokenRequests counts the requests to the token endpoint.
func (f *FakeServer) TokenRequests() int {
	n := 0
	for _, c := range f.Calls() {
		if strings.HasSuffix(c.Path, "/oauth2/v2.0/token") {
			n++
		}
	}
	return n
}

// ServeHTTP answers one request.
func (f *FakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, graph.MaxSendMailBytes+1))
	rec := &statusRecorder{ResponseWriter: w}
	f.mu.Lock()
	n := len(f.calls)
	f.calls = append(f.calls, FakeCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.calls[n].Status = rec.status
		f.mu.Unlock()
	}()

	segs := splitPath(r.URL.EscapedPath())
	if len(segs) == 4 && segs[1] == "oauth2" && segs[2] == "v2.0" && segs[3] == "token" {
		f.token(rec, r, segs[0], body)
		return
	}
	if len(segs) < 4 || segs[0] != "v1.0" || segs[1] != "users" {
		graphError(rec, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", r.URL.Path))
		return
	}

	fault := f.takeFault(r.URL.Path)
	if fault.Delay > 0 {
		select {
		case <-time.After(fault.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if !f.authorized(r) {
		graphError(rec, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return
	}
	if fault.Garbage != "" {
		rec.Header().Set("Content-Type", "application/json; charset=utf-8")
		rec.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(rec, fault.Garbage)
		return
	}
	if fault.Status != 0 {
		if fault.RetryAfter != "" {
			rec.Header().Set("Retry-After", fault.RetryAfter)
		}
		code, msg := "UnknownError", "An internal server error occurred."
		switch fault.Status {
		case http.StatusTooManyRequests:
			code, msg = "ApplicationThrottled", "Application is over its MailboxConcurrency limit."
		case http.StatusServiceUnavailable:
			code, msg = "ServiceUnavailable", "Service unavailable."
		case http.StatusNotFound:
			code, msg = "ErrorItemNotFound", "The specified object was not found in the store."
		case http.StatusForbidden:
			code, msg = "ErrorAccessDenied", "Access is denied. Check credentials and try again."
		case http.StatusBadRequest:
			code, msg = "ErrorInvalidRequest", "The request is invalid."
		}
		graphError(rec, fault.Status, code, msg)
		return
	}
	f.graph(rec, r, segs[2], segs[3:], body)
}

func (f *FakeServer) takeFault(path string) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, fl := range f.faults {
		if strings.Contains(path, fl.Match) {
			got := *fl
			if fl.Times--; fl.Times <= 0 {
				f.faults = slices.Delete(f.faults, i, i+1)
			}
			return got
		}
	}
	return Fault{}
}

func (f *FakeServer) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	defer f.mu.Unlock()
	return ok && f.tokens[tok]
}

// token is Entra ID's v2.0 token endpoint for the client credentials grant, with its
// error bodies for the usual misconfigurations.
func (f *FakeServer) token(w http.ResponseWriter, r *http.Request, tenant string, body []byte) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	form, _ := url.ParseQuery(string(body))
	fail := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"error":             code,
			"error_description": desc + "\r\nTrace ID: 0b1c2d3e-0000-4000-8000-000000000000\r\nCorrelation ID: 1a2b3c4d-0000-4000-8000-000000000000\r\nTimestamp: 2025-01-01 00:00:00Z",
			"trace_id":          "0b1c2d3e-0000-4000-8000-000000000000",
		})
	}
	switch {
	case !strings.EqualFold(tenant, f.TenantID):
		fail(http.StatusBadRequest, "invalid_request", fmt.Sprintf("AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
	case form.Get("grant_type") != "client_credentials":
		fail(http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
	case form.Get("client_id") != f.ClientID:
		fail(http.StatusBadRequest, "unauthorized_client", fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory '%s'.", form.Get("client_id"), tenant))
	case form.Get("client_secret") != f.ClientSecret:
		fail(http.StatusUnauthorized, "invalid_client", fmt.Sprintf("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", f.ClientID))
	case !strings.HasSuffix(form.Get("scope"), "/.default"):
		fail(http.StatusBadRequest, "invalid_scope", fmt.Sprintf("AADSTS1002012: The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.", form.Get("scope")))
	default:
		f.mu.Lock()
		tok := f.newID("eyJ0eXAiOiJKV1QiLCJub25jZSI6")
		f.tokens[tok] = true
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
	}
}

// graph answers the mailbox endpoints under /v1.0/users/{upn}/.
func (f *FakeServer) graph(w http.ResponseWriter, r *http.Request, upn string, rest []string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.EqualFold(upn, f.Mailbox) {
		graphError(w, http.StatusNotFound, "ErrorInvalidUser", fmt.Sprintf("The requested user '%s' is invalid.", upn))
		return
	}
	// Without the header Graph hands out REST ids, which change when a message moves.
	immutable := strings.Contains(r.Header.Get("Prefer"), `IdType="ImmutableId"`)
	get := r.Method == http.MethodGet
	switch {
	case len(rest) == 1 && rest[0] == "mailFolders" && get:
		f.writeFolders(w, r, f.children(fakeRootID))
	case len(rest) == 2 && rest[0] == "mailFolders" && get:
		if fl := f.folder(rest[1]); fl != nil {
			writeJSON(w, http.StatusOK, f.folderJSON(fl))
		} else {
			graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		}
	case len(rest) == 3 && rest[0] == "mailFolders" && rest[2] == "childFolders" && get:
		if fl := f.folder(rest[1]); fl != nil {
			f.writeFolders(w, r, f.children(fl.id))
		} else {
			graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		}
	case len(rest) == 3 && rest[0] == "mailFolders" && rest[2] == "messages" && get:
		f.listMessages(w, r, rest[1], immutable)
	case len(rest) == 2 && rest[0] == "messages" && get:
		if m := f.message(rest[1]); m != nil {
			writeJSON(w, http.StatusOK, selectFields(f.messageJSON(m, immutable), r.URL.Query().Get("$select")))
		} else {
			graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		}
	case len(rest) == 3 && rest[0] == "messages" && rest[2] == "$value" && get:
		m := f.message(rest[1])
		if m == nil || f.missing[m.immutableID] || f.missing[m.restID] {
			graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(m.raw)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(m.raw)
	case len(rest) == 3 && rest[0] == "messages" && rest[2] == "move" && r.Method == http.MethodPost:
		f.move(w, rest[1], body, immutable)
	case len(rest) == 1 && rest[0] == "sendMail" && r.Method == http.MethodPost:
		f.sendMail(w, body)
	default:
		graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", strings.Join(rest, "/")))
	}
}

func (f *FakeServer) listMessages(w http.ResponseWriter, r *http.Request, folderID string, immutable bool) {
	fl := f.folder(folderID)
	if fl == nil {
		graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	var asc bool
	switch ob := r.URL.Query().Get("$orderby"); ob {
	case "receivedDateTime asc":
		asc = true
	case "", "receivedDateTime desc", "receivedDateTime": // Graph's default is newest first
		asc = ob == "receivedDateTime"
	default:
		graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid $orderby %q.", ob))
		return
	}
	sel := r.URL.Query().Get("$select")
	var items []any
	for _, m := range f.inFolder(fl.id, asc) {
		items = append(items, selectFields(f.messageJSON(m, immutable), sel))
	}
	f.writePage(w, r, items)
}

func (f *FakeServer) move(w http.ResponseWriter, id string, body []byte, immutable bool) {
	var req struct {
		DestinationID string `json:"destinationId"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.DestinationID == "" {
		graphError(w, http.StatusBadRequest, "ErrorInvalidRequest", "The request body must contain destinationId.")
		return
	}
	m := f.message(id)
	dest := f.folder(req.DestinationID)
	if m == nil || dest == nil {
		graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	m.folderID = dest.id
	m.restID = f.newID("AAMkADAwATM0MDAAMS1") // a REST id names the message in its folder
	writeJSON(w, http.StatusCreated, f.messageJSON(m, immutable))
}

func (f *FakeServer) writeFolders(w http.ResponseWriter, r *http.Request, folders []*fakeFolder) {
	items := make([]any, len(folders))
	for i, fl := range folders {
		items[i] = f.folderJSON(fl)
	}
	f.writePage(w, r, items)
}

// writePage answers a collection the OData way: $top items (10 unless asked, capped
// by SetPageSize) and an absolute @odata.nextLink carrying a $skiptoken.
func (f *FakeServer) writePage(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	top := 10
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			graphError(w, http.StatusBadRequest, "ErrorInvalidParameter", fmt.Sprintf("Invalid $top %q.", v))
			return
		}
		top = n
	}
	if f.pageSize > 0 {
		top = min(top, f.pageSize)
	}
	skip := 0
	if v := q.Get("$skiptoken"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		n, ok := strings.CutPrefix(string(raw), "skip:")
		if skip, err = strconv.Atoi(n); err != nil || !ok || skip < 0 {
			graphError(w, http.StatusBadRequest, "ErrorInvalidParameter", "Invalid $skiptoken.")
			return
		}
	}
	skip = min(skip, len(items))
	end := min(skip+top, len(items))
	page := map[string]any{
		"@odata.context": f.URL + "/v1.0/$metadata#users('" + f.Mailbox + "')/collection",
		"value":          append([]any{}, items[skip:end]...),
	}
	if end < len(items) {
		q.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte("skip:"+strconv.Itoa(end))))
		page["@odata.nextLink"] = f.URL + r.URL.EscapedPath() + "?" + encodeODataQuery(q)
	}
	writeJSON(w, http.StatusOK, page)
}

func (f *FakeServer) folderJSON(fl *fakeFolder) map[string]any {
	total := len(f.inFolder(fl.id, true))
	return map[string]any{
		"id":               fl.id,
		"displayName":      fl.name,
		"parentFolderId":   fl.parentID,
		"childFolderCount": len(f.children(fl.id)),
		"unreadItemCount":  total,
		"totalItemCount":   total,
		"sizeInBytes":      0,
		"isHidden":         false,
	}
}

func (f *FakeServer) messageJSON(m *fakeMessage, immutable bool) map[string]any {
	id := m.restID
	if immutable {
		id = m.immutableID
	}
	return map[string]any{
		"@odata.etag":       `W/"CQAAABYAAAB"`,
		"id":                id,
		"createdDateTime":   m.received.Format(time.RFC3339),
		"receivedDateTime":  m.received.Format(time.RFC3339),
		"internetMessageId": m.messageID,
		"subject":           m.subject,
		"parentFolderId":    m.folderID,
		"isRead":            false,
	}
}

// selectFields keeps the $select'ed properties (and the etag), as Graph does.
func selectFields(v map[string]any, sel string) map[string]any {
	if sel == "" {
		return v
	}
	out := map[string]any{"@odata.etag": v["@odata.etag"]}
	for _, k := range strings.Split(sel, ",") {
		if x, ok := v[strings.TrimSpace(k)]; ok {
			out[strings.TrimSpace(k)] = x
		}
	}
	return out
}

func (f *FakeServer) children(parentID string) []*fakeFolder {
	var out []*fakeFolder
	for _, fl := range f.folders {
		if fl.parentID == parentID {
			out = append(out, fl)
		}
	}
	return out
}

func (f *FakeServer) child(parentID, name string) *fakeFolder {
	for _, fl := range f.children(parentID) {
		if strings.EqualFold(fl.name, name) {
			return fl
		}
	}
	return nil
}

// folder finds a folder by id or well-known name.
func (f *FakeServer) folder(id string) *fakeFolder {
	for _, fl := range f.folders {
		if fl.id == id || (fl.wellKnown != "" && strings.EqualFold(fl.wellKnown, id)) {
			return fl
		}
	}
	return nil
}

func (f *FakeServer) mustFolder(path string) *fakeFolder {
	f.t.Helper()
	parent := &fakeFolder{id: fakeRootID}
	for _, name := range strings.Split(path, "/") {
		if parent = f.child(parent.id, name); parent == nil {
			f.t.Fatalf("graph fake: no folder %q", path)
		}
	}
	return parent
}

// message finds a message by either of its ids, as Graph accepts both.
func (f *FakeServer) message(id string) *fakeMessage {
	for _, m := range f.messages {
		if m.immutableID == id || m.restID == id {
			return m
		}
	}
	return nil
}

func (f *FakeServer) inFolder(folderID string, asc bool) []*fakeMessage {
	var out []*fakeMessage
	for _, m := range f.messages {
		if m.folderID == folderID {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if asc {
			return out[i].received.Before(out[j].received)
		}
		return out[j].received.Before(out[i].received)
	})
	return out
}

// newID makes an opaque id in Graph's alphabet (URL-safe base64, "=" padded).
// The caller holds f.mu.
func (f *FakeServer) newID(prefix string) string {
	f.seq++
	return prefix + base64.URLEncoding.EncodeToString([]byte(fmt.Sprintf("fake-%06d", f.seq)))
}

func graphError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code":    code,
		"message": message,
		"innerError": map[string]any{
			"date":       time.Now().UTC().Format(time.RFC3339),
			"request-id": "5c3d2e1f-0000-4000-8000-000000000000",
		},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
	w.Header().Set("request-id", "5c3d2e1f-0000-4000-8000-000000000000")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// encodeODataQuery keeps the "$" of OData options readable, as Graph writes its links.
func encodeODataQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(strings.ReplaceAll(url.QueryEscape(k), "%24", "$"))
			b.WriteByte('=')
			b.WriteString(strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	return b.String()
}

// splitPath splits an escaped path into unescaped segments, so an id holding an
// escaped "/" stays one segment.
func splitPath(escaped string) []string {
	parts := strings.Split(strings.Trim(escaped, "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Sent returns the messages sent through sendMail so far, in order.
func (f *FakeServer) Sent() []SentMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// sendMail is Graph's POST /users/{upn}/sendMail with a JSON message: 202 and no body,
// or 400 for a message without recipients or with an attachment that is not base64.
func (f *FakeServer) sendMail(w http.ResponseWriter, body []byte) {
	type address struct {
		EmailAddress struct {
			Address string `json:"address"`
		} `json:"emailAddress"`
	}
	var req struct {
		Message struct {
			Subject string `json:"subject"`
			Body    struct {
				ContentType string `json:"contentType"`
				Content     string `json:"content"`
			} `json:"body"`
			To          []address `json:"toRecipients"`
			Bcc         []address `json:"bccRecipients"`
			Attachments []struct {
				Type         string `json:"@odata.type"`
				Name         string `json:"name"`
				ContentType  string `json:"contentType"`
				ContentBytes string `json:"contentBytes"`
			} `json:"attachments"`
		} `json:"message"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		graphError(w, http.StatusBadRequest, "ErrorInvalidRequest", "Cannot read the request body: "+err.Error())
		return
	}
	if len(req.Message.To)+len(req.Message.Bcc) == 0 {
		graphError(w, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
		return
	}
	m := SentMail{Subject: req.Message.Subject, Body: req.Message.Body.Content}
	for _, a := range req.Message.To {
		m.To = append(m.To, a.EmailAddress.Address)
	}
	for _, a := range req.Message.Bcc {
		m.Bcc = append(m.Bcc, a.EmailAddress.Address)
	}
	for _, a := range req.Message.Attachments {
		data, err := base64.StdEncoding.DecodeString(a.ContentBytes)
		if err != nil || a.Type != "#microsoft.graph.fileAttachment" {
			graphError(w, http.StatusBadRequest, "ErrorInvalidRequest", "Invalid attachment "+a.Name+".")
			return
		}
		m.Attachments = append(m.Attachments, SentAttachment{Name: a.Name, ContentType: a.ContentType, Data: data})
	}
	f.sent = append(f.sent, m)
	w.WriteHeader(http.StatusAccepted)
}
