package live_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// wait is how long a test waits for asynchronous delivery before it gives up; it only
// bounds a failing test, a passing one never waits it out.
const wait = 30 * time.Second

// startHub runs a hub on d until the test ends and returns it once it listens.
func startHub(t *testing.T, d *db.DB) *live.Hub {
	t.Helper()
	h := live.NewHub(d.Pool)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Error("the hub did not stop when its context ended")
		}
	})
	listener(t, d, 0)
	return h
}

// listener waits until a connection other than not listens on the live channel (a
// NOTIFY sent before that is lost) and returns its backend pid.
func listener(t *testing.T, d *db.DB, not int) int {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		var pids []int
		if err := d.Bun.NewRaw(`SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND query = ? AND pid <> pg_backend_pid()`,
			"LISTEN "+live.Channel).Scan(context.Background(), &pids); err != nil {
			t.Fatal(err)
		}
		for _, pid := range pids {
			if pid != not {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection listens on %s", live.Channel)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func notify(t *testing.T, d *db.DB, ev live.Event) {
	t.Helper()
	if err := live.Notify(context.Background(), d.Bun, ev); err != nil {
		t.Fatal(err)
	}
}

func next(t *testing.T, name string, ch <-chan live.Event) live.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(wait):
		t.Fatalf("%s: no event", name)
		return live.Event{}
	}
}

func same(a, b live.Event) bool { return a.Topic == b.Topic && slices.Equal(a.IDs, b.IDs) }

// Each subscriber gets the events of its topics, in order, and "*" reaches everyone;
// an event of another topic never arrives.
func TestHubFansOutByTopic(t *testing.T) {
	d := dbtest.New(t)
	h := startHub(t, d)
	type sub struct {
		name string
		ch   <-chan live.Event
		want []live.Event
	}
	runs := live.Event{Topic: live.TopicRuns, IDs: []int64{1, 2}}
	inbox := live.Event{Topic: live.TopicInbox, IDs: []int64{7}}
	many := make([]int64, 201)
	bigInbox, bigInboxSent := live.Event{Topic: live.TopicInbox}, live.Event{Topic: live.TopicInbox, IDs: many}
	all := live.Event{Topic: "*"}
	subs := []*sub{
		{name: "runs", want: []live.Event{runs, all}},
		{name: "runs+inbox", want: []live.Event{runs, inbox, bigInbox, all}},
		{name: "inbox", want: []live.Event{inbox, bigInbox, all}},
		{name: "inbox again", want: []live.Event{inbox, bigInbox, all}},
		{name: "tasks", want: []live.Event{all}},
	}
	topics := [][]string{{live.TopicRuns}, {live.TopicRuns, live.TopicInbox}, {live.TopicInbox}, {live.TopicInbox}, {live.TopicTasks}}
	for i, s := range subs {
		ch, cancel := h.Subscribe(topics[i]...)
		t.Cleanup(cancel)
		s.ch = ch
	}
	if n := h.Subscribers(); n != len(subs) {
		t.Fatalf("%d subscribers, want %d", n, len(subs))
	}

	// A notification inside a transaction that rolls back is never delivered.
	tx, err := d.Bun.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Notify(context.Background(), tx, live.Event{Topic: live.TopicRuns, IDs: []int64{99}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []live.Event{runs, inbox, bigInboxSent, all} {
		notify(t, d, ev)
	}
	for _, s := range subs {
		for i, want := range s.want {
			if got := next(t, s.name, s.ch); !same(got, want) {
				t.Fatalf("%s: event %d is %s %v, want %s %v", s.name, i, got.Topic, got.IDs, want.Topic, want.IDs)
			}
		}
		// "*" was sent last: whatever else this subscriber got would be queued by now.
		if len(s.ch) != 0 {
			t.Fatalf("%s: %d unexpected events, first %+v", s.name, len(s.ch), <-s.ch)
		}
	}
}

// A subscriber that stops reading loses events once its buffer is full, but never holds
// up delivery to the others; an unsubscribed one gets nothing more.
func TestHubSlowSubscriberDoesNotBlockOthers(t *testing.T) {
	d := dbtest.New(t)
	h := startHub(t, d)
	slow, cancelSlow := h.Subscribe(live.TopicRuns)
	fast, cancelFast := h.Subscribe(live.TopicRuns)
	defer func() {
		// Should the hub be stuck delivering to slow (the failure this test looks
		// for), reading lets it go so that the test ends instead of hanging.
		stopped := make(chan struct{})
		go func() { cancelSlow(); cancelFast(); close(stopped) }()
		for {
			select {
			case <-stopped:
				return
			case <-slow:
			case <-fast:
			}
		}
	}()
	gone, cancelGone := h.Subscribe(live.TopicRuns)

	// Fill the slow subscriber's buffer (it never reads) one event at a time.
	const buffer = 64
	for i := range buffer {
		notify(t, d, live.Event{Topic: live.TopicRuns, IDs: []int64{int64(i)}})
		if ev := next(t, "fast", fast); ev.IDs[0] != int64(i) {
			t.Fatalf("fast got %v, want id %d", ev.IDs, i)
		}
		next(t, "gone", gone)
	}
	cancelGone()
	if n := h.Subscribers(); n != 2 {
		t.Fatalf("%d subscribers after one unsubscribed, want 2", n)
	}
	// The slow one is full now: every further event must still reach the fast one.
	for i := buffer; i < buffer+5; i++ {
		notify(t, d, live.Event{Topic: live.TopicRuns, IDs: []int64{int64(i)}})
		if ev := next(t, "fast", fast); ev.IDs[0] != int64(i) {
			t.Fatalf("fast got %v, want id %d", ev.IDs, i)
		}
	}
	if len(gone) != 0 {
		t.Fatalf("an unsubscribed channel got %d events", len(gone))
	}
	// The slow one kept the first events and lost the rest, without being closed.
	if len(slow) != buffer {
		t.Fatalf("slow subscriber holds %d events, want %d", len(slow), buffer)
	}
	for i := range buffer {
		if ev := <-slow; ev.IDs[0] != int64(i) {
			t.Fatalf("slow got %v as event %d", ev.IDs, i)
		}
	}
	notify(t, d, live.Event{Topic: live.TopicRuns, IDs: []int64{1000}})
	if ev := next(t, "slow", slow); ev.IDs[0] != 1000 {
		t.Fatalf("slow got %v after catching up, want 1000", ev.IDs)
	}
}

// When the LISTEN connection is lost the hub reconnects; its subscribers stay
// subscribed, are told to reload (events may have been missed), and get the events
// sent after the reconnect.
func TestHubSubscribersSurviveReconnect(t *testing.T) {
	d := dbtest.New(t)
	h := startHub(t, d)
	runs, cancelRuns := h.Subscribe(live.TopicRuns)
	defer cancelRuns()
	inbox, cancelInbox := h.Subscribe(live.TopicInbox)
	defer cancelInbox()

	old := listener(t, d, 0)
	var killed bool
	if err := d.Bun.NewRaw("SELECT pg_terminate_backend(?)", old).Scan(context.Background(), &killed); err != nil || !killed {
		t.Fatalf("terminate the listener %d: %v %v", old, killed, err)
	}
	for name, ch := range map[string]<-chan live.Event{"runs": runs, "inbox": inbox} {
		if ev := next(t, name, ch); ev.Topic != "*" {
			t.Fatalf("%s: first event after the reconnect is %+v, want a reload (*)", name, ev)
		}
	}
	if pid := listener(t, d, old); pid == old {
		t.Fatal("still the old listener")
	}
	if n := h.Subscribers(); n != 2 {
		t.Fatalf("%d subscribers after the reconnect, want 2", n)
	}
	for i, ch := range []<-chan live.Event{runs, inbox} {
		topic := []string{live.TopicRuns, live.TopicInbox}[i]
		notify(t, d, live.Event{Topic: topic, IDs: []int64{42}})
		if ev := next(t, topic, ch); ev.Topic != topic || !slices.Equal(ev.IDs, []int64{42}) {
			t.Fatalf("%s after the reconnect: got %+v", topic, ev)
		}
	}
	if len(runs)+len(inbox) != 0 {
		t.Fatalf("unexpected events after the reconnect: runs %d, inbox %d", len(runs), len(inbox))
	}
}
