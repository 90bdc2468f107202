package httpretry

import (
	"context"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	const limit = 2 * time.Minute
	for _, tc := range []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 5 ", 5 * time.Second, true},
		{"120", limit, true},
		{"121", limit, true},
		{"99999999999999999", limit, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{"Mon, 10 Mar 2025 12:00:45 GMT", 45 * time.Second, true},
		{"Mon, 10 Mar 2025 11:00:00 GMT", 0, true},
		{"Mon, 10 Mar 2025 13:00:00 GMT", limit, true},
	} {
		if got, ok := RetryAfter(tc.header, now, limit); got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v %v, want %v %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep on an ended context: %v", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}
