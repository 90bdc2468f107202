package graph

// Config returns the source's configuration with defaults filled in (tests only).
func (s *Source) Config() Config { return s.cfg }

// TokenEndpoint returns the token URL and scopes the source signs in with (tests only).
func (s *Source) TokenEndpoint() (string, []string) { return s.creds.TokenURL, s.creds.Scopes }

// CheckLink exposes the nextLink host check (tests only).
func (s *Source) CheckLink(link string) error { return s.checkLink(link) }

// MaxRetryAfter is the longest Retry-After honoured (tests only).
const MaxRetryAfter = maxRetryAfter
