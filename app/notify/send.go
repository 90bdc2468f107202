package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/backupchecks/backupchecks/app/outbound"
)

// Channel kinds.
const (
	ChannelEmail   = "email"
	ChannelTeams   = "teams"
	ChannelSlack   = "slack"
	ChannelWebhook = "webhook"
)

// Target is a channel ready to send to: secrets decrypted.
type Target struct {
	Kind       string
	Recipients []string // email
	URL        string   // teams, slack, webhook
	Secret     string   // webhook
}

// Headers of the generic webhook (docs/notifications.md).
const (
	HeaderEvent     = "X-Backupchecks-Event"
	HeaderDelivery  = "X-Backupchecks-Delivery"
	HeaderTimestamp = "X-Backupchecks-Timestamp"
	HeaderSignature = "X-Backupchecks-Signature"
)

// Sender sends messages. Mailer is needed only for mail targets; a nil HTTP uses a
// client with a 15 s timeout.
type Sender struct {
	HTTP   *http.Client
	Mailer outbound.Mailer
	Now    func() time.Time
}

// Send sends m to t; deliveryID goes into the webhook's headers and payload.
func (s Sender) Send(ctx context.Context, t Target, deliveryID int64, subject string, m Message) error {
	switch t.Kind {
	case ChannelEmail:
		if s.Mailer == nil {
			return outbound.ErrNoChannel
		}
		return s.Mailer.Send(ctx, outbound.Mail{To: t.Recipients, Subject: subject, Body: m.Text()})
	case ChannelTeams:
		return s.post(ctx, t.URL, teamsPayload(m), nil)
	case ChannelSlack:
		return s.post(ctx, t.URL, slackPayload(m), nil)
	case ChannelWebhook:
		body, err := json.Marshal(WebhookPayload{Event: m.Kind, DeliveryID: deliveryID, Message: m})
		if err != nil {
			return err
		}
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		ts := strconv.FormatInt(now().Unix(), 10)
		h := http.Header{}
		h.Set(HeaderEvent, m.Kind)
		h.Set(HeaderDelivery, strconv.FormatInt(deliveryID, 10))
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, Sign(t.Secret, ts, body))
		return s.post(ctx, t.URL, body, h)
	}
	return fmt.Errorf("notify: unknown channel kind %q", t.Kind)
}

// WebhookPayload is the generic webhook's JSON body.
type WebhookPayload struct {
	Event      string  `json:"event"`
	DeliveryID int64   `json:"delivery_id"`
	Message    Message `json:"message"`
}

// Sign is the webhook signature: "sha256=" and the hex HMAC-SHA256, keyed with the
// channel's secret, of the timestamp header, a dot and the raw body.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a received webhook as a receiver should: the signature in constant
// time, and a timestamp within tolerance of now (against replays).
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("notify: no valid timestamp header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("notify: the timestamp is too old or in the future")
	}
	if !hmac.Equal([]byte(h.Get(HeaderSignature)), []byte(Sign(secret, ts, body))) {
		return errors.New("notify: the signature does not match")
	}
	return nil
}

func (s Sender) post(ctx context.Context, url string, body any, h http.Header) error {
	var raw []byte
	switch b := body.(type) {
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return err
		}
	}
	client := s.HTTP
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Backupchecks")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: post to the webhook: %w", redact(err, url))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("notify: the webhook answered %s: %s", resp.Status, clip(strings.TrimSpace(string(snippet)), 200))
	}
	return nil
}

// redact keeps a webhook URL (a credential for Teams and Slack) out of errors, which
// are stored and shown.
func redact(err error, url string) error {
	return errors.New(strings.ReplaceAll(err.Error(), url, "(webhook URL)"))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// teamsPayload is a Teams workflow ("When a Teams webhook request is received")
// message with one Adaptive Card.
func teamsPayload(m Message) map[string]any {
	body := []any{
		map[string]any{"type": "TextBlock", "text": m.Title, "weight": "Bolder", "size": "Medium", "wrap": true},
	}
	if m.Summary != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": m.Summary, "wrap": true})
	}
	for _, s := range m.Sections {
		var lines []string
		for _, l := range s.Lines {
			if l.URL != "" {
				lines = append(lines, "- ["+mdEscape(l.Text)+"]("+l.URL+")")
			} else {
				lines = append(lines, "- "+mdEscape(l.Text))
			}
		}
		if s.More > 0 {
			lines = append(lines, fmt.Sprintf("- and %d more", s.More))
		}
		body = append(body,
			map[string]any{"type": "TextBlock", "text": s.Title, "weight": "Bolder", "wrap": true, "spacing": "Medium"},
			map[string]any{"type": "TextBlock", "text": strings.Join(lines, "\n"), "wrap": true})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard", "version": "1.4", "body": body,
		"msteams": map[string]any{"width": "Full"},
	}
	if m.URL != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open Backupchecks", "url": m.URL}}
	}
	return map[string]any{"type": "message", "attachments": []any{
		map[string]any{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": card},
	}}
}

// slackPayload is an incoming-webhook message in Slack's mrkdwn (understood by
// Slack-compatible receivers such as Mattermost and Rocket.Chat too).
func slackPayload(m Message) map[string]any {
	var b strings.Builder
	b.WriteString("*" + slackEscape(m.Title) + "*\n")
	if m.Summary != "" {
		b.WriteString(slackEscape(m.Summary) + "\n")
	}
	for _, s := range m.Sections {
		b.WriteString("\n*" + slackEscape(s.Title) + "*\n")
		for _, l := range s.Lines {
			if l.URL != "" {
				b.WriteString("• <" + l.URL + "|" + slackEscape(l.Text) + ">\n")
			} else {
				b.WriteString("• " + slackEscape(l.Text) + "\n")
			}
		}
		if s.More > 0 {
			fmt.Fprintf(&b, "• and %d more\n", s.More)
		}
	}
	if m.URL != "" {
		b.WriteString("\n<" + m.URL + "|Open Backupchecks>")
	}
	return map[string]any{"text": b.String()}
}

// slackEscape escapes what Slack's mrkdwn treats as control characters; text from
// mails (job names, messages) must not become links or mentions.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// mdEscape keeps text from mails from becoming Markdown links in a card.
func mdEscape(s string) string {
	return strings.NewReplacer("[", "\\[", "]", "\\]", "*", "\\*", "_", "\\_").Replace(s)
}
