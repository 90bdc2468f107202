package app

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/db"
)

// TestEventsStreamEndsWhenClientLeaves: a stream delivers its topics' events, and its
// subscription ends as soon as the browser closes the connection (a page left or
// hidden), not at the next write of the stream, which comes only every sseHeartbeat.
func TestEventsStreamEndsWhenClientLeaves(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	hub := h.app.hub
	subscribers := func(want int) {
		t.Helper()
		// Well below sseHeartbeat: a stream that notices the closed connection only
		// when it next writes fails here.
		deadline := time.Now().Add(sseHeartbeat / 3)
		for hub.Subscribers() != want {
			if time.Now().After(deadline) {
				t.Fatalf("%d subscriptions, want %d", hub.Subscribers(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.url+"/events?topic=runs&topic=inbox&topic=runs", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func(prefix string) string {
		t.Helper()
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), prefix) {
				return lines.Text()
			}
		}
		t.Fatalf("the stream ended before a line %q: %v", prefix, lines.Err())
		return ""
	}
	next(": connected")
	subscribers(1)

	if err := live.Notify(t.Context(), h.db.Bun, live.Event{Topic: live.TopicRuns, IDs: []int64{7}}); err != nil {
		t.Fatal(err)
	}
	if got := next("event: "); got != "event: runs" {
		t.Fatalf("first event %q, want runs (once, though the topic was asked twice)", got)
	}
	if got := next("data: "); got != `data: {"topic":"runs","ids":[7]}` {
		t.Fatalf("event data %q", got)
	}

	cancel() // the browser leaves the page
	subscribers(0)
}
