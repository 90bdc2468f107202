// Package graph imports report mail from an Exchange Online mailbox through Microsoft
// Graph with an app registration's client credentials (application permission
// Mail.ReadWrite): it lists the source folder, downloads each message's raw MIME and,
// once the messages are stored, moves them to the processed folder.
package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/backupchecks/backupchecks/app/httpretry"
	"github.com/backupchecks/backupchecks/app/mail"
)

// Default endpoints of the global Microsoft cloud.
const (
	DefaultLoginURL = "https://login.microsoftonline.com"
	DefaultGraphURL = "https://graph.microsoft.com/v1.0"
)

// DefaultMaxRetries is how often one Graph call is retried when MaxRetries is zero.
const DefaultMaxRetries = 5

// maxPageSize is the largest $top Graph accepts for a message listing.
const maxPageSize = 1000

// Config says which mailbox to read and how to reach it.
type Config struct {
	TenantID        string // directory (tenant) id or domain of the app registration
	ClientID        string // application (client) id
	ClientSecret    string
	Mailbox         string // user principal name of the mailbox, e.g. backups@msp.example
	SourceFolder    string // display name or path ("Inbox/Backup reports") to import from
	ProcessedFolder string // display name or path that imported mail is moved into

	LoginURL string // default DefaultLoginURL; another cloud's sign-in host for sovereign clouds
	GraphURL string // default DefaultGraphURL; the token's scope follows its host

	HTTPClient *http.Client // default: timeouts on connect, headers and the whole exchange
	Limits     mail.Limits  // default mail.DefaultLimits
	MaxRetries int          // retries per Graph call after the first attempt; 0 means 5, negative none
	// Sleep waits between retries; default a timer that gives up when ctx ends. Tests
	// replace it so that they need not wait.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Source is a Graph mailbox; it implements mail.Source and is safe for concurrent use.
type Source struct {
	cfg     Config
	graph   *url.URL // parsed GraphURL, to keep the token from leaving it via a nextLink
	user    string   // GraphURL + "/users/{upn}"
	creds   clientcredentials.Config
	credCtx context.Context // carries cfg.HTTPClient to the oauth2 package

	mu      sync.Mutex
	tokens  oauth2.TokenSource // caches the token until shortly before it expires
	folders *folderPair        // resolved on first use
}

var _ mail.Source = (*Source)(nil)

// New checks cfg, fills in the defaults and returns a Source. It does not connect.
func New(cfg Config) (*Source, error) {
	cfg.TenantID = strings.TrimSpace(cfg.TenantID)
	cfg.ClientID = strings.TrimSpace(cfg.ClientID)
	cfg.Mailbox = strings.TrimSpace(cfg.Mailbox)
	cfg.SourceFolder = cleanPath(cfg.SourceFolder)
	cfg.ProcessedFolder = cleanPath(cfg.ProcessedFolder)
	cfg.LoginURL = strings.TrimRight(strings.TrimSpace(cfg.LoginURL), "/")
	cfg.GraphURL = strings.TrimRight(strings.TrimSpace(cfg.GraphURL), "/")
	if cfg.LoginURL == "" {
		cfg.LoginURL = DefaultLoginURL
	}
	if cfg.GraphURL == "" {
		cfg.GraphURL = DefaultGraphURL
	}

	var errs []error
	for _, f := range []struct{ value, name string }{
		{cfg.TenantID, "tenant ID"},
		{cfg.ClientID, "client ID"},
		{cfg.ClientSecret, "client secret"},
		{cfg.Mailbox, "mailbox"},
		{cfg.SourceFolder, "source folder"},
		{cfg.ProcessedFolder, "processed folder"},
	} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("%s is required", f.name))
		}
	}
	if cfg.SourceFolder != "" && strings.EqualFold(cfg.SourceFolder, cfg.ProcessedFolder) {
		errs = append(errs, errors.New("processed folder must differ from the source folder"))
	}
	graphURL, err := parseBaseURL(cfg.GraphURL)
	if err != nil {
		errs = append(errs, fmt.Errorf("graph URL: %w", err))
	}
	if _, err := parseBaseURL(cfg.LoginURL); err != nil {
		errs = append(errs, fmt.Errorf("login URL: %w", err))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("graph: config: %w", errors.Join(errs...))
	}

	return build(cfg, graphURL), nil
}

// build fills in the defaults of a checked cfg and makes the Source.
func build(cfg Config, graphURL *url.URL) *Source {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient()
	}
	if cfg.Limits == (mail.Limits{}) {
		cfg.Limits = mail.DefaultLimits
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.Sleep == nil {
		cfg.Sleep = httpretry.Sleep
	}

	s := &Source{
		cfg:   cfg,
		graph: graphURL,
		user:  cfg.GraphURL + "/users/" + url.PathEscape(cfg.Mailbox),
		creds: clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     cfg.LoginURL + "/" + url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token",
			Scopes:       []string{scopeFor(graphURL)},
			// Entra ID takes the secret in the form; auto-detection would first try
			// basic auth and so send two requests for every refused sign-in.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		// The token source outlives any one call, so it gets a background context;
		// the HTTP client's timeouts bound a token request.
		credCtx: context.WithValue(context.Background(), oauth2.HTTPClient, cfg.HTTPClient),
	}
	s.tokens = s.creds.TokenSource(s.credCtx)
	return s
}

// Name is the source kind stored with each message.
func (s *Source) Name() string { return "graph" }

// Fetch returns up to limit messages from the source folder, oldest first, each
// streamed through mail.Reduce. A message that disappears between listing and
// download (moved by someone else) is skipped with a warning. A message that cannot
// be downloaded (after the retries) is left in the folder for the next import: Fetch
// returns the others with a *mail.FetchError naming it.
func (s *Source) Fetch(ctx context.Context, limit int) ([]mail.Message, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("graph: fetch: limit %d must be positive", limit)
	}
	folders, err := s.resolvedFolders(ctx)
	if err != nil {
		return nil, err
	}
	items, err := s.listMessages(ctx, folders.source.ID, limit)
	if err != nil {
		if isNotFound(err) {
			s.forgetFolders() // the folder was deleted or renamed; resolve it again next time
		}
		return nil, fmt.Errorf("graph: list messages in %q: %w", folders.source.Path, err)
	}

	msgs := make([]mail.Message, 0, len(items))
	var failed []mail.MessageError
	for _, it := range items {
		m, err := s.fetchMessage(ctx, it)
		if isNotFound(err) {
			slog.WarnContext(ctx, "graph: message gone before download; skipped",
				"mailbox", s.cfg.Mailbox, "id", it.ID, "subject", it.Subject)
			continue
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("graph: fetch: %w", ctx.Err())
		}
		if err != nil {
			slog.WarnContext(ctx, "graph: message cannot be downloaded; left for the next import",
				"mailbox", s.cfg.Mailbox, "id", it.ID, "subject", it.Subject, "err", err)
			failed = append(failed, mail.MessageError{SourceID: it.ID, Err: err})
			continue
		}
		msgs = append(msgs, m)
	}
	if len(failed) > 0 {
		return msgs, &mail.FetchError{Failed: failed}
	}
	return msgs, nil
}

// listedMessage is a message as the folder listing shows it.
type listedMessage struct {
	ID                string `json:"id"`
	ReceivedDateTime  string `json:"receivedDateTime"`
	InternetMessageID string `json:"internetMessageId"`
	Subject           string `json:"subject"`
}

func (s *Source) listMessages(ctx context.Context, folderID string, limit int) ([]listedMessage, error) {
	top := min(limit, maxPageSize)
	first := s.user + "/mailFolders/" + url.PathEscape(folderID) +
		"/messages?$select=id,receivedDateTime,internetMessageId,subject" +
		"&$top=" + strconv.Itoa(top) + "&$orderby=receivedDateTime%20asc"
	return listAll[listedMessage](ctx, s, first, limit)
}

func (s *Source) fetchMessage(ctx context.Context, it listedMessage) (mail.Message, error) {
	m := mail.Message{SourceID: it.ID}
	// A zero time tells the importer to fall back on the Date header.
	if t, err := time.Parse(time.RFC3339, it.ReceivedDateTime); err == nil {
		m.ReceivedAt = t.UTC()
	}
	target := s.user + "/messages/" + url.PathEscape(it.ID) + "/$value"
	err := s.do(ctx, http.MethodGet, target, nil, func(resp *http.Response) error {
		red, err := mail.Reduce(resp.Body, s.cfg.Limits)
		if err != nil {
			return err
		}
		m.Raw, m.Size, m.Skipped, m.Truncated = red.Raw, red.Size, red.Skipped, red.Truncated
		if red.Truncated {
			slog.WarnContext(ctx, "graph: message over the size limit; stored cut off and unparsed",
				"mailbox", s.cfg.Mailbox, "id", it.ID, "size", red.Size)
		}
		return nil
	})
	if err != nil {
		return mail.Message{}, fmt.Errorf("graph: download message %s: %w", it.ID, err)
	}
	return m, nil
}

// MarkProcessed moves each message into the processed folder. A message that is no
// longer there counts as moved. It tries every id and returns the failures joined.
func (s *Source) MarkProcessed(ctx context.Context, sourceIDs []string) error {
	if len(sourceIDs) == 0 {
		return nil
	}
	folders, err := s.resolvedFolders(ctx)
	if err != nil {
		return err
	}
	body := []byte(`{"destinationId":` + strconv.Quote(folders.processed.ID) + `}`)
	var errs []error
	for _, id := range sourceIDs {
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("graph: move message %s: %w", id, ctx.Err()))
			continue
		}
		if err := s.move(ctx, id, body); err != nil {
			errs = append(errs, fmt.Errorf("graph: move message %s to %q: %w", id, folders.processed.Path, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Source) move(ctx context.Context, id string, body []byte) error {
	msgURL := s.user + "/messages/" + url.PathEscape(id)
	err := s.do(ctx, http.MethodPost, msgURL+"/move", body, discard)
	if !isNotFound(err) {
		return err
	}
	// A 404 means the message or the destination is gone; only the first means done.
	gone := s.do(ctx, http.MethodGet, msgURL+"?$select=id", nil, discard)
	switch {
	case isNotFound(gone):
		return nil
	case gone != nil:
		return gone
	default:
		s.forgetFolders()
		return fmt.Errorf("processed folder not found: %w", err)
	}
}

// Check signs in, resolves both folders and counts the mail waiting, changing nothing.
func (s *Source) Check(ctx context.Context) (mail.CheckResult, error) {
	if _, err := s.token(); err != nil {
		return mail.CheckResult{}, fmt.Errorf("graph: get token: %w", err)
	}
	top, err := s.topFolders(ctx)
	if err != nil {
		return mail.CheckResult{}, err
	}
	src, err := s.findFolder(ctx, top, "source", s.cfg.SourceFolder)
	if err != nil {
		return mail.CheckResult{}, err
	}
	dst, err := s.findFolder(ctx, top, "processed", s.cfg.ProcessedFolder)
	if err != nil {
		return mail.CheckResult{}, err
	}
	pair, err := s.keepFolders(src, dst)
	if err != nil {
		return mail.CheckResult{}, err
	}

	var counted mailFolder
	if err := getJSON(ctx, s, s.user+"/mailFolders/"+url.PathEscape(src.ID), &counted); err != nil {
		return mail.CheckResult{}, fmt.Errorf("graph: count messages in %q: %w", src.Path, err)
	}

	names := make([]string, 0, len(top)+len(src.Siblings))
	for _, f := range top {
		names = append(names, f.DisplayName)
	}
	if src.Parent != "" {
		for _, f := range src.Siblings {
			names = append(names, src.Parent+"/"+f.DisplayName)
		}
	}
	return mail.CheckResult{
		Folders:       names,
		SourceFolder:  pair.source.Path,
		Waiting:       counted.TotalItemCount,
		ProcessedInto: pair.processed.Path,
		ServerDetails: fmt.Sprintf("Microsoft Graph mailbox %s (%s)", s.cfg.Mailbox, s.graph.Host),
	}, nil
}

// scopeFor asks for a token for the Graph host in use, so that a sovereign cloud
// (graph.microsoft.us, microsoftgraph.chinacloudapi.cn, …) gets a token it accepts.
func scopeFor(graphURL *url.URL) string {
	return "https://" + graphURL.Host + "/.default"
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return u, nil
}

func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 10 * time.Second
	tr.ResponseHeaderTimeout = time.Minute
	// The overall limit leaves room to stream a large message's $value.
	return &http.Client{Transport: tr, Timeout: 5 * time.Minute}
}
