package app

import (
	"io"
	"log/slog"
	"os"
	"testing"
)

// TestMain keeps request logs out of test output unless BACKUPCHECKS_TEST_LOG is set.
func TestMain(m *testing.M) {
	if os.Getenv("BACKUPCHECKS_TEST_LOG") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	os.Exit(m.Run())
}
