package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/live"
)

// sseTopics are the topics a page may subscribe to.
var sseTopics = []string{live.TopicInbox, live.TopicRuns, live.TopicTasks}

// events streams live events as server-sent events (htmx-ext-sse): each event's name
// is its topic, so an element with hx-trigger="sse:inbox" refreshes itself.
func (a *App) events(c *fiber.Ctx) error {
	if a.hub == nil {
		return fiber.NewError(fiber.StatusServiceUnavailable, "Live updates are not running in this process.")
	}
	var topics []string
	for _, t := range c.Context().QueryArgs().PeekMulti("topic") {
		if slices.Contains(sseTopics, string(t)) {
			topics = append(topics, string(t))
		}
	}
	if len(topics) == 0 {
		return fiber.NewError(fiber.StatusBadRequest, "Name at least one topic: inbox, runs or tasks.")
	}
	ch, unsubscribe := a.hub.Subscribe(topics...)
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	done := a.done
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer unsubscribe()
		heartbeat := time.NewTicker(15 * time.Second)
		defer heartbeat.Stop()
		// A first comment flushes the headers so the browser knows the stream is open.
		fmt.Fprint(w, ": connected\n\n")
		if w.Flush() != nil {
			return
		}
		for {
			select {
			case <-done:
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
			if w.Flush() != nil {
				return // the browser went away
			}
		}
	})
	return nil
}
