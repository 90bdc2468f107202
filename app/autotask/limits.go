package autotask

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Autotask allows a few concurrent requests per integration (its "thread limit")
// and 10,000 requests an hour per tenant. Every client of this process shares one
// limiter per integration code, so parallel page loads and the sync job together stay
// inside both; the hourly budget leaves room for the tenant's other integrations.
const (
	MaxThreads       = 3
	HourlyBudget     = 9000
	hourlyBudgetSpan = time.Hour
)

// ErrHourlyBudget means this process used its hourly share of Autotask requests.
var ErrHourlyBudget = errors.New("hourly Autotask request budget used up; try again later")

type limiter struct {
	threads chan struct{}

	mu          sync.Mutex
	windowStart time.Time
	used        int
}

var limiters sync.Map // integration code → *limiter

func limiterFor(code string) *limiter {
	l, _ := limiters.LoadOrStore(code, &limiter{threads: make(chan struct{}, MaxThreads)})
	return l.(*limiter)
}

// acquire waits for a free thread and counts the request against the hour; release
// frees the thread.
func (l *limiter) acquire(ctx context.Context, now time.Time) (release func(), err error) {
	l.mu.Lock()
	if now.Sub(l.windowStart) >= hourlyBudgetSpan {
		l.windowStart, l.used = now, 0
	}
	if l.used >= HourlyBudget {
		resetIn := l.windowStart.Add(hourlyBudgetSpan).Sub(now).Round(time.Minute)
		l.mu.Unlock()
		return nil, fmt.Errorf("%w (resets in %s)", ErrHourlyBudget, resetIn)
	}
	l.used++
	l.mu.Unlock()
	select {
	case l.threads <- struct{}{}:
		return func() { <-l.threads }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
