package graph

import (
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", -1},
		{"0", 0},
		{"12", 12 * time.Second},
		{" 5 ", 5 * time.Second},
		{"121", maxRetryAfter},
		{"99999999999999999", maxRetryAfter},
		{"-3", -1},
		{"soon", -1},
		{"Mon, 10 Mar 2025 12:00:45 GMT", 45 * time.Second},
		{"Mon, 10 Mar 2025 11:00:00 GMT", 0},
		{"Mon, 10 Mar 2025 13:00:00 GMT", maxRetryAfter},
	} {
		if got := retryAfter(tc.header, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for attempt, want := range []time.Duration{1, 2, 4, 8, 16, 30, 30, 30} {
		want *= time.Second
		for range 20 {
			if d := backoff(attempt); d < want || d > want+want/2 {
				t.Fatalf("backoff(%d) = %v, want %v to %v", attempt, d, want, want+want/2)
			}
		}
	}
	if d := backoff(100); d > maxBackoff*3/2 {
		t.Errorf("backoff(100) = %v: not capped", d)
	}
}
