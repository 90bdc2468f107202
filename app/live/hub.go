package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Hub listens on the PostgreSQL channel with one connection per process and fans the
// events out to subscribers (SSE streams). Events from every replica arrive here,
// since they travel through PostgreSQL.
type Hub struct {
	pool *pgxpool.Pool

	mu   sync.Mutex
	subs map[chan Event]map[string]bool // subscriber → topics
}

// NewHub returns a hub; Run starts listening.
func NewHub(pool *pgxpool.Pool) *Hub {
	return &Hub{pool: pool, subs: map[chan Event]map[string]bool{}}
}

// Run listens until ctx ends, reconnecting after errors. Subscribers get a "reload"
// event after a reconnect, since events may have been missed meanwhile.
func (h *Hub) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := h.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		slog.Warn("live: listener lost; reconnecting", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
		h.broadcast(Event{Topic: "*"})
	}
}

func (h *Hub) listen(ctx context.Context) error {
	pooled, err := h.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection gets LISTEN state: take it out of the pool for good.
	conn := pooled.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var ev Event
		if err := json.Unmarshal([]byte(n.Payload), &ev); err != nil {
			slog.Warn("live: bad event payload", "payload", n.Payload, "err", err)
			continue
		}
		h.broadcast(ev)
	}
}

// broadcast delivers ev to subscribers of its topic ("*" reaches everyone). A
// subscriber too slow to keep up loses the event rather than blocking the hub; its
// stream then reloads on the next one.
func (h *Hub) broadcast(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch, topics := range h.subs {
		if ev.Topic != "*" && !topics[ev.Topic] {
			continue
		}
		select {
		case ch <- ev:
		default:
		}
	}
}

// Subscribe returns a channel of events for topics and a function to unsubscribe.
func (h *Hub) Subscribe(topics ...string) (<-chan Event, func()) {
	ch := make(chan Event, 64)
	set := map[string]bool{}
	for _, t := range topics {
		set[t] = true
	}
	h.mu.Lock()
	h.subs[ch] = set
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// Subscribers is the number of open subscriptions (SSE streams) of this process.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
