package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/live"
)

// sseTopics are the topics a page may subscribe to.
var sseTopics = []string{live.TopicInbox, live.TopicRuns, live.TopicTasks}

// Stream timing: a comment line every sseHeartbeat keeps proxies from closing an idle
// stream, and each write may take up to sseWriteTimeout (the server's WriteTimeout
// bounds a whole response, which a stream outlives).
const (
	sseHeartbeat    = 15 * time.Second
	sseWriteTimeout = 30 * time.Second
)

// events streams live events as server-sent events, one stream per tab (assets/nav.js):
// each event's name is its topic, so an element with hx-trigger="sse:inbox" refreshes
// itself. The stream ends as soon as the browser closes it, not at the next write: a
// page left or hidden closes its stream, and its subscription must not linger.
func (a *App) events(c *fiber.Ctx) error {
	if a.hub == nil {
		return fiber.NewError(fiber.StatusServiceUnavailable, "Live updates are not running in this process.")
	}
	var topics []string
	for _, t := range c.Context().QueryArgs().PeekMulti("topic") {
		if slices.Contains(sseTopics, string(t)) && !slices.Contains(topics, string(t)) {
			topics = append(topics, string(t))
		}
	}
	if len(topics) == 0 {
		return fiber.NewError(fiber.StatusBadRequest, "Name at least one topic: inbox, runs or tasks.")
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	// Nothing follows the stream on its connection: closing it after the stream lets
	// the watch below read from it alone.
	c.Context().SetConnectionClose()
	conn := c.Context().Conn()
	hub, done := a.hub, a.done
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ch, unsubscribe := hub.Subscribe(topics...)
		defer unsubscribe()
		gone := make(chan struct{})
		go watchClosed(conn, gone)
		heartbeat := time.NewTicker(sseHeartbeat)
		defer heartbeat.Stop()
		// A first comment flushes the headers so the browser knows the stream is open.
		fmt.Fprint(w, ": connected\n\n")
		for {
			_ = conn.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
			if w.Flush() != nil {
				return // the browser went away
			}
			select {
			case <-done:
				return
			case <-gone:
				return
			case <-heartbeat.C:
				fmt.Fprint(w, ": keep-alive\n\n")
			case ev := <-ch:
				data, _ := json.Marshal(ev)
				names := []string{ev.Topic}
				if ev.Topic == "*" { // missed events: everyone reloads
					names = topics
				}
				for _, name := range names {
					fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
				}
			}
		}
	})
	return nil
}

// watchClosed closes gone when the client closes conn. An EventSource sends nothing
// after its request, so a read returns only when the connection ends (or the client
// breaks the protocol, which ends the stream as well).
func watchClosed(conn net.Conn, gone chan<- struct{}) {
	defer close(gone)
	_ = conn.SetReadDeadline(time.Time{}) // the server's ReadTimeout was for the request
	var b [1]byte
	_, _ = conn.Read(b[:])
}
