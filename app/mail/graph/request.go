package graph

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/backupchecks/backupchecks/app/httpretry"
)

// Retry pacing: backoff doubles from minBackoff to maxBackoff; a server's Retry-After
// is honoured up to maxRetryAfter so that one throttled mailbox cannot stall an import.
const (
	minBackoff    = time.Second
	maxBackoff    = 30 * time.Second
	maxRetryAfter = 2 * time.Minute
)

// immutableIDs makes Graph hand out ids that survive a move to another folder; the
// importer deduplicates on them.
const immutableIDs = `IdType="ImmutableId"`

// Error is an error response from Graph.
type Error struct {
	Status    int    // HTTP status
	Code      string // Graph's error code, e.g. "ErrorItemNotFound"
	Message   string
	RequestID string // Graph's request-id header, for Microsoft support
}

// Error reads like "404 ErrorItemNotFound: The specified object was not found in the store."
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// TokenError is Microsoft Entra ID refusing to issue a token: a wrong tenant, client
// ID or secret, an expired secret, or a disabled app.
type TokenError struct {
	Status      int
	Code        string // OAuth error, e.g. "invalid_client"
	Description string // first line of error_description, e.g. "AADSTS7000215: Invalid client secret provided. …"
}

// Error says what to check, then Entra ID's code and description.
func (e *TokenError) Error() string {
	return fmt.Sprintf("sign-in refused (check the tenant ID, client ID and client secret): %s: %s", e.Code, e.Description)
}

// retryable marks a failure worth another attempt; after < 0 means "back off".
type retryable struct {
	err   error
	after time.Duration
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// do sends one Graph request and hands a 2xx response to handle, which must consume
// the body. 429 and 503 wait for Retry-After; other 5xx, timeouts and broken
// connections (also while handle reads the body) back off exponentially; any other
// status fails at once with Graph's error.
func (s *Source) do(ctx context.Context, method, target string, body []byte, handle func(*http.Response) error) error {
	renewed := false
	for attempt := 0; ; attempt++ {
		err := s.attempt(ctx, method, target, body, handle)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		var ge *Error
		if errors.As(err, &ge) && ge.Status == http.StatusUnauthorized && !renewed {
			// The cached token was revoked or went stale early; one new one may do.
			renewed = true
			s.renewToken()
			attempt--
			continue
		}
		var r *retryable
		if !errors.As(err, &r) {
			return err
		}
		if attempt >= s.cfg.MaxRetries {
			return fmt.Errorf("%w (gave up after %d attempts)", r.err, attempt+1)
		}
		wait := r.after
		if wait < 0 {
			wait = backoff(attempt)
		}
		slog.InfoContext(ctx, "graph: retrying", "method", method, "url", target,
			"attempt", attempt+1, "wait", wait, "error", r.err)
		if err := s.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (s *Source) attempt(ctx context.Context, method, target string, body []byte, handle func(*http.Response) error) error {
	tok, err := s.token()
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) {
			return fmt.Errorf("get token: %w", err)
		}
		return &retryable{err: fmt.Errorf("get token: %w", err), after: -1}
	}

	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body) // a fresh reader each attempt re-sends the body
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Prefer", immutableIDs)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil || isPermanentTransportError(err) {
			return err
		}
		return &retryable{err: err, after: -1}
	}
	defer func() {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		br := &bodyReader{r: resp.Body}
		resp.Body = br
		if err := handle(resp); err != nil {
			if br.err != nil && ctx.Err() == nil {
				return &retryable{err: fmt.Errorf("read response: %w", err), after: -1}
			}
			return err
		}
		return nil
	}

	gerr := readError(resp)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		return &retryable{err: gerr, after: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	case resp.StatusCode >= 500:
		return &retryable{err: gerr, after: -1}
	default:
		return gerr
	}
}

// token returns the cached token or fetches a new one.
func (s *Source) token() (*oauth2.Token, error) {
	s.mu.Lock()
	ts := s.tokens
	s.mu.Unlock()
	tok, err := ts.Token()
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		// Throttling and outages at the sign-in service are worth a retry.
		if status != http.StatusTooManyRequests && status < 500 {
			desc, _, _ := strings.Cut(re.ErrorDescription, "\n")
			return nil, &TokenError{Status: status, Code: re.ErrorCode, Description: strings.TrimSpace(desc)}
		}
	}
	return nil, err
}

// renewToken drops the cached token so the next call signs in again.
func (s *Source) renewToken() {
	s.mu.Lock()
	s.tokens = s.creds.TokenSource(s.credCtx)
	s.mu.Unlock()
}

// getJSON GETs target and decodes the JSON answer into out.
func getJSON[T any](ctx context.Context, s *Source, target string, out *T) error {
	return s.do(ctx, http.MethodGet, target, nil, func(resp *http.Response) error {
		var v T // fresh per attempt, so a retried partial read leaves nothing behind
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
		*out = v
		return nil
	})
}

// listAll reads a collection from first on, following @odata.nextLink as Graph gives
// it, until the end or until max items (max <= 0: all).
func listAll[T any](ctx context.Context, s *Source, first string, max int) ([]T, error) {
	var all []T
	for target := first; target != ""; {
		var page struct {
			Value    []T    `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := getJSON(ctx, s, target, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Value...)
		if max > 0 && len(all) >= max {
			return all[:max], nil
		}
		if page.NextLink == target {
			return nil, fmt.Errorf("@odata.nextLink %q points to the page itself", target)
		}
		if page.NextLink != "" {
			if err := s.checkLink(page.NextLink); err != nil {
				return nil, err
			}
		}
		target = page.NextLink
	}
	return all, nil
}

// checkLink keeps the bearer token on the Graph host: a nextLink is followed as is,
// so it must not lead anywhere else.
func (s *Source) checkLink(link string) error {
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("@odata.nextLink: %w", err)
	}
	if u.Scheme != s.graph.Scheme || !strings.EqualFold(u.Host, s.graph.Host) {
		return fmt.Errorf("@odata.nextLink %q is not on %s://%s", link, s.graph.Scheme, s.graph.Host)
	}
	return nil
}

// discard is the handler for calls whose answer is not needed.
func discard(*http.Response) error { return nil }

// readError builds an Error from Graph's {"error":{"code":..,"message":..}} body,
// or from the status when the body is something else (a gateway's HTML page).
func readError(resp *http.Response) *Error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("request-id")}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message = body.Error.Code, body.Error.Message
		return e
	}
	e.Code = strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "")
	e.Message = strings.TrimSpace(string(raw))
	if len(e.Message) > 200 {
		e.Message = e.Message[:200] + "…"
	}
	return e
}

func isNotFound(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.Status == http.StatusNotFound
}

// isPermanentTransportError tells failures that a retry cannot fix (a certificate
// the server will present again, a malformed URL) from a flaky network.
func isPermanentTransportError(err error) bool {
	var cert *tls.CertificateVerificationError
	var ue *url.Error
	if errors.As(err, &cert) {
		return true
	}
	return errors.As(err, &ue) && ue.Op == "parse"
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), capped at
// maxRetryAfter; -1 if there is none to honour.
func retryAfter(v string, now time.Time) time.Duration {
	if d, ok := httpretry.RetryAfter(v, now, maxRetryAfter); ok {
		return d
	}
	return -1
}

// backoff is the wait before retry attempt+1: 1s, 2s, 4s … up to 30s, each plus up
// to half again as jitter so that replicas do not retry in step.
func backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt < 5 { // 1s<<5 already exceeds maxBackoff
		d = minBackoff << attempt
	}
	return d + rand.N(d/2+1)
}

// bodyReader remembers a failed read so that do can tell a broken connection (retry)
// from a body that could not be understood (fail).
type bodyReader struct {
	r   io.ReadCloser
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

func (b *bodyReader) Close() error { return b.r.Close() }
