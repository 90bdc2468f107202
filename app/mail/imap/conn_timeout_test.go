package imap

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// silentConn never answers: every read waits for its deadline.
type silentConn struct {
	net.Conn
	reads    int
	deadline time.Time
}

func (c *silentConn) Read([]byte) (int, error) {
	c.reads++
	time.Sleep(time.Until(c.deadline))
	return 0, os.ErrDeadlineExceeded
}

func (c *silentConn) SetReadDeadline(t time.Time) error { c.deadline = t; return nil }

// TestIdleConnStaysTimedOut: after one read timed out, further reads fail at once
// instead of waiting a timeout each (imapclient retries a timed-out read, which made a
// silent server take four timeouts to fail a pass).
func TestIdleConnStaysTimedOut(t *testing.T) {
	raw := &silentConn{}
	c := &idleConn{Conn: raw, timeout: 10 * time.Millisecond}
	for i := range 4 {
		if _, err := c.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read %d: %v, want a deadline error", i, err)
		}
	}
	if raw.reads != 1 {
		t.Fatalf("the silent server was waited for %d times, want once", raw.reads)
	}
	if !c.timedOut.Load() {
		t.Fatal("the timeout is not recorded (the error message names it)")
	}
}
