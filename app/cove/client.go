package cove

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/backupchecks/backupchecks/app/httpretry"
)

// DefaultURL is Cove's JSON-RPC endpoint.
const DefaultURL = "https://api.backup.management/jsonapi"

// PageSize is how many accounts one EnumerateAccountStatistics call asks for; a
// shorter page is the last.
const PageSize = 250

// Limits on what Cove's answers may hold: the API is a remote service, and what it
// sends is bounded before it is believed.
const (
	maxResponseBytes = 32 << 20
	maxPages         = 400 // 100,000 accounts
	maxValueRunes    = 2000
	maxSettings      = 200 // columns per account
	// visaLifetime: Cove's visa lasts about 15 minutes after the call that gave it;
	// one older than this is renewed by logging in again before the next call.
	visaLifetime = 14 * time.Minute
)

// ErrSecurity is Cove's error 13501: the call asked for a column the API user may not
// read (the legacy D02/D03 columns refuse the whole call for everyone).
var ErrSecurity = errors.New("Cove refused the call for security reasons (error 13501): a requested column is not allowed for this API user")

// ErrCredentials means Cove refused the user name or password at Login.
var ErrCredentials = errors.New("Cove refused the user name or password")

// SecurityErrorCode is the code of ErrSecurity.
const SecurityErrorCode = 13501

// RPCError is a JSON-RPC error answer.
type RPCError struct {
	Method  string
	Code    int
	Message string
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("Cove answered %s with error %d: %s", e.Method, e.Code, e.Message)
}

// Is lets errors.Is(err, ErrSecurity) find error 13501.
func (e *RPCError) Is(target error) bool { return target == ErrSecurity && e.Code == SecurityErrorCode }

// visaRefused reports whether a call was refused for its visa (expired or unknown),
// which a new Login cures. Cove words it; its codes are not documented.
func (e *RPCError) visaRefused() bool {
	m := strings.ToLower(e.Message)
	return strings.Contains(m, "visa") || strings.Contains(m, "session") || strings.Contains(m, "not logged in") ||
		strings.Contains(m, "authenticat") || strings.Contains(m, "expired")
}

// Config is the connection and the knobs tests need.
type Config struct {
	URL        string // default DefaultURL
	Username   string
	Password   string
	HTTPClient *http.Client // default: 60 s per call
	// MaxRetries is how often a call is tried again after a timeout, a 5xx, a rate
	// limit or an answer that is not JSON-RPC; default 4, negative = never.
	MaxRetries int
	Sleep      func(ctx context.Context, d time.Duration) error // default: waits on a timer
	Now        func() time.Time
}

// Client talks to Cove's JSON-RPC API as one user. It keeps the visa chain: every
// answer carries a fresh visa, which the next call sends; an expired visa is renewed
// by logging in again without the caller noticing. Safe for concurrent use (calls
// take turns: the visa chain is one sequence).
type Client struct {
	cfg Config

	mu        sync.Mutex
	visa      string
	visaAt    time.Time
	partnerID int64
}

// New validates cfg and fills in defaults; it does not touch the network.
func New(cfg Config) (*Client, error) {
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if cfg.Username == "" || cfg.Password == "" {
		return nil, errors.New("cove: enter and save the API user name and password first")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = 4
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.Sleep == nil {
		cfg.Sleep = httpretry.Sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg}, nil
}

// Login starts a new visa chain and returns the user's partner (customer) id.
func (c *Client) Login(ctx context.Context) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.login(ctx)
}

// Account is one Cove account (device) with its statistics: the Settings list of
// one-key objects flattened into a map from column code (canonical, see Column) to
// value, numbers as their decimal text.
type Account struct {
	ID        int64
	PartnerID int64
	Settings  map[string]string
}

// Page is one answer of EnumerateAccountStatistics: the accounts that could be read,
// and why the others could not (an account without an id, say).
type Page struct {
	Start    int // the first record's number
	Records  int // how many records Cove sent
	Accounts []Account
	Invalid  []string
}

// Accounts pages through every account of the user's partner, PageSize at a time
// until a short page, asking for columns, and calls page with each page in turn.
// It logs in first when there is no visa yet.
func (c *Client) Accounts(ctx context.Context, columns []string, page func(Page) error) error {
	for n, start := 0, 0; ; n, start = n+1, start+PageSize {
		if n >= maxPages {
			return fmt.Errorf("cove: more than %d pages of accounts; stopped reading", maxPages)
		}
		p, err := c.AccountsPage(ctx, columns, start, PageSize)
		if err != nil {
			return err
		}
		if err := page(p); err != nil {
			return err
		}
		if p.Records < PageSize {
			return nil
		}
	}
}

// AccountsPage reads count accounts from record start.
func (c *Client) AccountsPage(ctx context.Context, columns []string, start, count int) (Page, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.visa == "" {
		if _, err := c.login(ctx); err != nil {
			return Page{}, err
		}
	}
	// The query key is lower-case, and the count is RecordsCount: Cove ignores
	// RecordCount and answers with its default page.
	params := map[string]any{"query": map[string]any{
		"PartnerId": c.partnerID, "StartRecordNumber": start, "RecordsCount": count, "Columns": columns,
	}}
	var res struct {
		Result []rawAccount `json:"result"`
	}
	if err := c.callWithVisa(ctx, "EnumerateAccountStatistics", params, &res); err != nil {
		return Page{}, err
	}
	p := Page{Start: start, Records: len(res.Result), Accounts: make([]Account, 0, len(res.Result))}
	for i, ra := range res.Result {
		a, err := ra.flatten()
		if err != nil {
			p.Invalid = append(p.Invalid, fmt.Sprintf("record %d: %v", start+i, err))
			continue
		}
		p.Accounts = append(p.Accounts, a)
	}
	return p, nil
}

// PartnerID is the partner the last Login answered (0 before one).
func (c *Client) PartnerID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.partnerID
}

// rawAccount is an account as EnumerateAccountStatistics sends it.
type rawAccount struct {
	AccountID json.Number                  `json:"AccountId"`
	PartnerID json.Number                  `json:"PartnerId"`
	Settings  []map[string]json.RawMessage `json:"Settings"`
}

func (ra rawAccount) flatten() (Account, error) {
	id, err := strconv.ParseInt(ra.AccountID.String(), 10, 64)
	if err != nil || id <= 0 {
		return Account{}, fmt.Errorf("no usable AccountId (%q)", clip(ra.AccountID.String(), 40))
	}
	a := Account{ID: id, Settings: make(map[string]string, len(ra.Settings))}
	a.PartnerID, _ = strconv.ParseInt(ra.PartnerID.String(), 10, 64)
	if len(ra.Settings) > maxSettings {
		return Account{}, fmt.Errorf("account %d: %d settings, more than the %d asked for", id, len(ra.Settings), maxSettings)
	}
	for _, kv := range ra.Settings {
		for k, raw := range kv {
			// Column codes are short and plain; anything else is no column asked for.
			if code := Column(k); columnCodeRE.MatchString(code) {
				a.Settings[code] = settingValue(raw)
			}
		}
	}
	return a, nil
}

// settingValue is a setting's value as text: a string as is, a number as written,
// null as empty; cut to a sane length and made valid UTF-8.
func settingValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			s = n.String()
		} else {
			s = "" // null, or something no column holds
		}
	}
	// NUL cannot be stored in PostgreSQL text or jsonb.
	return clip(strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", ""), maxValueRunes)
}

var columnCodeRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,15}$`)

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// login runs Login (c.mu held) and starts a new visa chain.
func (c *Client) login(ctx context.Context) (int64, error) {
	c.visa = ""
	// Lower-case parameter names: Cove's Login does not know Username/Password.
	params := map[string]any{"username": c.cfg.Username, "password": c.cfg.Password}
	var res struct {
		Result struct {
			PartnerID json.Number `json:"PartnerId"`
		} `json:"result"`
	}
	visa, err := c.call(ctx, "Login", "", params, &res)
	var rpcErr *RPCError
	if errors.As(err, &rpcErr) && !errors.Is(err, ErrSecurity) {
		return 0, fmt.Errorf("%w: %s", ErrCredentials, rpcErr.Message)
	}
	if err != nil {
		return 0, err
	}
	if visa == "" {
		return 0, errors.New("cove: Login answered without a visa")
	}
	id, err := strconv.ParseInt(res.Result.PartnerID.String(), 10, 64)
	if err != nil || id <= 0 {
		return 0, errors.New("cove: Login answered without a partner id")
	}
	c.visa, c.visaAt, c.partnerID = visa, c.cfg.Now(), id
	return id, nil
}

// callWithVisa runs a call on the visa chain (c.mu held): renewing an old visa first,
// and once more, silently, when Cove refuses the visa.
func (c *Client) callWithVisa(ctx context.Context, method string, params, out any) error {
	if c.cfg.Now().Sub(c.visaAt) >= visaLifetime {
		if _, err := c.login(ctx); err != nil {
			return err
		}
	}
	for relogged := false; ; relogged = true {
		visa, err := c.call(ctx, method, c.visa, params, out)
		var rpcErr *RPCError
		if !relogged && errors.As(err, &rpcErr) && rpcErr.Code != SecurityErrorCode && rpcErr.visaRefused() {
			if _, err := c.login(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if visa != "" {
			c.visa, c.visaAt = visa, c.cfg.Now()
		}
		return nil
	}
}

// rpcRequest is a JSON-RPC call as Cove takes it: the visa beside the method, not in
// its parameters.
type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      string `json:"id"`
	Visa    string `json:"visa,omitempty"`
	Method  string `json:"method"`
	Params  any    `json:"params"`
}

// rpcResponse is Cove's answer: the visa at the top level, the method's answer in
// result (which holds another result), or an error.
type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Visa    string          `json:"visa"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// transientError is a failure worth trying again: no answer in time, a 5xx, a rate
// limit, an answer that is not JSON-RPC.
type transientError struct {
	msg   string
	after time.Duration // the server's Retry-After, or 0
}

func (e *transientError) Error() string { return e.msg }

// call sends one call, trying again with backoff after transient failures, and
// decodes its result into out. It returns the answer's visa.
func (c *Client) call(ctx context.Context, method, visa string, params, out any) (string, error) {
	body, err := json.Marshal(rpcRequest{JSONRPC: "2.0", ID: "jsonrpc", Visa: visa, Method: method, Params: params})
	if err != nil {
		return "", fmt.Errorf("cove: encode %s: %w", method, err)
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, method, body)
		var te *transientError
		if errors.As(err, &te) && attempt < c.cfg.MaxRetries && ctx.Err() == nil {
			if err := c.cfg.Sleep(ctx, backoff(attempt, te.after)); err != nil {
				return "", err
			}
			continue
		}
		if te != nil {
			return "", fmt.Errorf("cove: %s failed after %d attempts: %w", method, attempt+1, err)
		}
		if err != nil {
			return "", err
		}
		if resp.Error != nil {
			return resp.Visa, &RPCError{Method: method, Code: resp.Error.Code, Message: clip(resp.Error.Message, 500)}
		}
		if out != nil {
			if err := json.Unmarshal(resp.Result, out); err != nil {
				return "", fmt.Errorf("cove: %s: the result is not what Cove sends: %w", method, err)
			}
		}
		return resp.Visa, nil
	}
}

// backoff is how long to wait before attempt+1: the server's wish when it said one
// (within reason), else 1 s, 2 s, 4 s, 8 s…
func backoff(attempt int, after time.Duration) time.Duration {
	if after > 0 {
		return after
	}
	return min(time.Second<<attempt, time.Minute)
}

// send posts one call and reads a JSON-RPC answer; failures that another try may cure
// are transientErrors.
func (c *Client) send(ctx context.Context, method string, body []byte) (*rpcResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("cove: the API URL %q is not usable: %w", c.cfg.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, &transientError{msg: "Cove did not answer in time"}
		}
		return nil, &transientError{msg: "could not reach Cove: " + err.Error()}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &transientError{msg: "the answer from Cove broke off: " + err.Error()}
	}
	if len(data) > maxResponseBytes {
		return nil, fmt.Errorf("cove: %s: the answer is larger than %d MB", method, maxResponseBytes>>20)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		after, _ := httpretry.RetryAfter(resp.Header.Get("Retry-After"), time.Now(), 2*time.Minute)
		return nil, &transientError{msg: "Cove's rate limit: too many requests (HTTP 429)", after: after}
	case resp.StatusCode >= 500:
		after, _ := httpretry.RetryAfter(resp.Header.Get("Retry-After"), time.Now(), 2*time.Minute)
		return nil, &transientError{msg: fmt.Sprintf("Cove answered HTTP %d", resp.StatusCode), after: after}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("cove: %s: Cove answered HTTP %d (check the API URL and the user's access)", method, resp.StatusCode)
	case resp.StatusCode >= 300:
		return nil, fmt.Errorf("cove: %s: Cove answered HTTP %d: check the API URL", method, resp.StatusCode)
	}
	var r rpcResponse
	if err := json.Unmarshal(data, &r); err != nil || (r.Error == nil && len(r.Result) == 0) {
		return nil, &transientError{msg: "the answer is not JSON-RPC: " + printable(data, 120)}
	}
	return &r, nil
}

// printable is the start of a body, fit for an error message.
func printable(b []byte, n int) string {
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(b), "?"))
	s = strings.TrimSpace(s)
	if s == "" {
		return "(empty)"
	}
	return strconv.Quote(clip(s, n))
}
