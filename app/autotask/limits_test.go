package autotask

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLimiterThreadsAndHourlyBudget(t *testing.T) {
	l := &limiter{threads: make(chan struct{}, MaxThreads)}
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var releases []func()
	for range MaxThreads {
		r, err := l.acquire(context.Background(), now)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	// A fourth concurrent request waits; its context ends first.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.acquire(ctx, now); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("fourth thread: %v, want to wait", err)
	}
	releases[0]()
	r, err := l.acquire(context.Background(), now)
	if err != nil {
		t.Fatal("a released thread is not reusable:", err)
	}
	r()

	l.used = HourlyBudget
	if _, err := l.acquire(context.Background(), now.Add(30*time.Minute)); !errors.Is(err, ErrHourlyBudget) {
		t.Fatalf("over budget: %v", err)
	}
	for _, r := range releases[1:] {
		r()
	}
	if r, err := l.acquire(context.Background(), now.Add(61*time.Minute)); err != nil {
		t.Fatal("the budget does not reset after an hour:", err)
	} else {
		r()
	}
}
