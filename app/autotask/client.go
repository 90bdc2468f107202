// Package autotask is a small client for the Autotask PSA REST API (v1.0):
// zone discovery, queries with paging, reads by id and ticket creation.
// Everything it talks to is configurable so tests run against autotasktest.
package autotask

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/backupchecks/backupchecks/app/httpretry"
)

// DefaultZoneLookupURLs are the two global hosts; either can answer for any
// user, so the second is only a fallback when the first is unreachable.
var DefaultZoneLookupURLs = []string{
	"https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation",
	"https://webservices2.autotask.net/atservicesrest/v1.0/zoneInformation",
}

var (
	// ErrUnauthorized means Autotask rejected the API user, secret or integration code.
	ErrUnauthorized = errors.New("credentials rejected (check API username, secret and integration code)")
	// ErrUnknownUser means zone discovery does not know the API username.
	ErrUnknownUser = errors.New("API username not known to Autotask zone discovery")
	// ErrNotFound means the entity with that id does not exist.
	ErrNotFound = errors.New("not found")
)

// Config holds credentials and the knobs tests need.
type Config struct {
	Username           string
	Secret             string
	IntegrationCode    string
	TrackingIdentifier string                                           // kept for the settings page; the REST API authenticates with the three above
	ZoneLookupURLs     []string                                         // default DefaultZoneLookupURLs
	HTTPClient         *http.Client                                     // default: 30 s timeout
	MaxRetries         int                                              // for 429 and 5xx; default 3, negative = none
	Sleep              func(ctx context.Context, d time.Duration) error // default: waits on a timer
}

// Zone is what zoneInformation tells us about the user's Autotask zone.
type Zone struct {
	Name   string `json:"zoneName"`
	URL    string `json:"url"`
	WebURL string `json:"webUrl"`
	CI     int64  `json:"ci"`
}

// Client talks to one Autotask tenant. It is safe for concurrent use.
type Client struct {
	cfg  Config
	mu   sync.Mutex
	zone *Zone // cached: the zone of a user does not change between calls
}

// APIError is a non-2xx answer from Autotask with its error messages.
type APIError struct {
	Status   int
	Messages []string
}

func (e *APIError) Error() string {
	if len(e.Messages) == 0 {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, strings.Join(e.Messages, "; "))
}

// Is lets callers test errors.Is(err, ErrUnauthorized) / ErrNotFound.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	}
	return false
}

// New validates cfg and fills in defaults; it does not touch the network.
func New(cfg Config) (*Client, error) {
	if cfg.Username == "" || cfg.Secret == "" || cfg.IntegrationCode == "" {
		return nil, errors.New("autotask: username, secret and integration code are required")
	}
	if len(cfg.ZoneLookupURLs) == 0 {
		cfg.ZoneLookupURLs = DefaultZoneLookupURLs
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.Sleep == nil {
		cfg.Sleep = httpretry.Sleep
	}
	return &Client{cfg: cfg}, nil
}

// Zone returns the user's zone, discovering it on first use.
func (c *Client) Zone(ctx context.Context) (Zone, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.zone != nil {
		return *c.zone, nil
	}
	z, err := c.discoverZone(ctx)
	if err != nil {
		return Zone{}, fmt.Errorf("autotask: zone discovery: %w", err)
	}
	c.zone = &z
	return z, nil
}

func (c *Client) discoverZone(ctx context.Context) (Zone, error) {
	var lastErr error
	for _, u := range c.cfg.ZoneLookupURLs {
		z, err := c.lookupZone(ctx, u)
		if err == nil {
			return z, nil
		}
		// An unknown user is unknown on every host; only outages warrant the fallback.
		if errors.Is(err, ErrUnknownUser) || ctx.Err() != nil {
			return Zone{}, err
		}
		lastErr = err
	}
	return Zone{}, lastErr
}

func (c *Client) lookupZone(ctx context.Context, lookupURL string) (Zone, error) {
	sep := "?"
	if strings.Contains(lookupURL, "?") {
		sep = "&"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lookupURL+sep+"user="+url.QueryEscape(c.cfg.Username), nil)
	if err != nil {
		return Zone{}, err
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return Zone{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Zone{}, err
	}
	switch {
	case resp.StatusCode >= 500:
		return Zone{}, apiError(resp.StatusCode, body)
	case resp.StatusCode >= 400:
		return Zone{}, fmt.Errorf("%w: %q (%v)", ErrUnknownUser, c.cfg.Username, apiError(resp.StatusCode, body))
	}
	var z Zone
	if err := json.Unmarshal(body, &z); err != nil {
		return Zone{}, fmt.Errorf("decode zone: %w", err)
	}
	if z.URL == "" {
		return Zone{}, fmt.Errorf("%w: %q", ErrUnknownUser, c.cfg.Username)
	}
	if !strings.HasSuffix(z.URL, "/") {
		z.URL += "/"
	}
	return z, nil
}

// base is the REST root of the zone, e.g. https://webservices5.autotask.net/ATServicesRest/v1.0/.
func (c *Client) base(ctx context.Context) (string, error) {
	z, err := c.Zone(ctx)
	if err != nil {
		return "", err
	}
	return z.URL + "v1.0/", nil
}

// TestConnection rediscovers the zone and runs the smallest possible query,
// so bad credentials and unknown users both show up with a clear error.
func (c *Client) TestConnection(ctx context.Context) (string, error) {
	c.mu.Lock()
	c.zone = nil
	c.mu.Unlock()
	z, err := c.Zone(ctx)
	if err != nil {
		return "", err
	}
	if _, err := Query[Company](ctx, c, "Companies", nil, 1); err != nil {
		return z.Name, err
	}
	return z.Name, nil
}

// do sends one API call, retrying 429 and 5xx, and decodes a 2xx body into out.
func (c *Client) do(ctx context.Context, method, endpoint string, in, out any) error {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		status, body, header, err := c.send(ctx, method, endpoint, payload)
		if err != nil {
			return err
		}
		if status >= 200 && status < 300 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("decode response: %w", err)
			}
			return nil
		}
		retryable := status == http.StatusTooManyRequests || status >= 500
		if !retryable || attempt >= c.cfg.MaxRetries {
			return apiError(status, body)
		}
		if err := c.cfg.Sleep(ctx, retryDelay(header, attempt)); err != nil {
			return err
		}
	}
}

func (c *Client) send(ctx context.Context, method, endpoint string, payload []byte) (int, []byte, http.Header, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	release, err := limiterFor(c.cfg.IntegrationCode).acquire(ctx, time.Now())
	if err != nil {
		return 0, nil, nil, err
	}
	defer release()
	req.Header.Set("ApiIntegrationCode", c.cfg.IntegrationCode)
	req.Header.Set("UserName", c.cfg.Username)
	req.Header.Set("Secret", c.cfg.Secret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, body, resp.Header, nil
}

// retryDelay honours Retry-After (seconds or HTTP date), else backs off 1 s, 2 s, 4 s…
func retryDelay(h http.Header, attempt int) time.Duration {
	const maxDelay = 2 * time.Minute
	if d, ok := httpretry.RetryAfter(h.Get("Retry-After"), time.Now(), maxDelay); ok {
		return d
	}
	return min(time.Second<<attempt, maxDelay)
}

func apiError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var eb struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(body, &eb) == nil {
		e.Messages = eb.Errors
	}
	if status == http.StatusUnauthorized && len(e.Messages) == 0 {
		e.Messages = []string{ErrUnauthorized.Error()}
	}
	return e
}
