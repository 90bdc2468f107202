// Package notify tells people about problems without them looking (issue 20):
// channels (mail through app/outbound, Microsoft Teams workflow webhooks with an
// Adaptive Card, Slack-compatible incoming webhooks, a generic webhook signed with
// HMAC-SHA256), alert rules with grouping, quiet hours and working days in the UI
// timezone, each user's own subscription, the daily digest, and the record of every
// delivery. Alerts are recorded with the runs by app/notify/detect; the River jobs
// (jobs/notify_*.go) flush them into deliveries and send those with retries.
package notify

import (
	"fmt"
	"strings"
	"time"
)

// Kinds of message.
const (
	KindAlert  = "alert"
	KindDigest = "digest"
	KindTest   = "test"
)

// Message is what a delivery sends, whatever the channel: rendered to text for mail,
// to an Adaptive Card for Teams, to Slack's text, to the webhook's JSON. It is stored
// with the delivery, so every retry sends the same.
type Message struct {
	Kind     string    `json:"kind"`
	Title    string    `json:"title"`
	Summary  string    `json:"summary"`
	URL      string    `json:"url,omitempty"` // where to act (Run Checks, the app)
	Sections []Section `json:"sections,omitempty"`
	Runs     []Run     `json:"runs,omitempty"` // an alert's runs, for the webhook
	Created  time.Time `json:"created_at"`
}

// Section is a titled list of a message.
type Section struct {
	Title string `json:"title"`
	Lines []Line `json:"lines"`
	More  int    `json:"more,omitempty"` // lines left out ("and 12 more")
}

// Line is one entry of a section, with an optional link into the app.
type Line struct {
	Text string `json:"text"`
	URL  string `json:"url,omitempty"`
}

// Run is a problem run as an alert lists it.
type Run struct {
	ID       int64     `json:"run_id"`
	Customer string    `json:"customer"`
	Job      string    `json:"job"`
	Status   string    `json:"status"`
	RunAt    time.Time `json:"run_at"`
	Message  string    `json:"message,omitempty"`
	URL      string    `json:"url"`
}

// Text renders m as plain text (mail bodies, and the golden tests).
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Title + "\n")
	if m.Summary != "" {
		b.WriteString("\n" + m.Summary + "\n")
	}
	for _, s := range m.Sections {
		b.WriteString("\n" + s.Title + "\n")
		for _, l := range s.Lines {
			b.WriteString("- " + l.Text)
			if l.URL != "" {
				b.WriteString("\n  " + l.URL)
			}
			b.WriteString("\n")
		}
		if s.More > 0 {
			fmt.Fprintf(&b, "- and %d more\n", s.More)
		}
	}
	if m.URL != "" {
		b.WriteString("\nOpen Backupchecks: " + m.URL + "\n")
	}
	return b.String()
}

// link joins the app's base URL and a path.
func link(base, path string) string {
	return strings.TrimRight(base, "/") + path
}
