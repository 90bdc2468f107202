package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/backupchecks/backupchecks/app/logctx"
)

func TestHandlerAddsContextAttrs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logctx.NewHandler(slog.NewJSONHandler(&buf, nil)))
	ctx := logctx.With(context.Background(), slog.String("request_id", "r-1"))
	ctx = logctx.With(ctx, slog.String("user", "alice"))
	log.InfoContext(ctx, "hello", "request_id", "own")
	log.With("component", "x").InfoContext(ctx, "again")
	log.Info("no context")

	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if lines[0]["request_id"] != "own" || lines[0]["user"] != "alice" {
		t.Errorf("first line %v: want its own request_id and the context's user", lines[0])
	}
	if bytes.Count(buf.Bytes(), []byte(`"request_id"`)) != 2 {
		t.Errorf("request_id logged twice on one line:\n%s", buf.String())
	}
	if lines[1]["request_id"] != "r-1" || lines[1]["component"] != "x" {
		t.Errorf("second line %v", lines[1])
	}
	if _, ok := lines[2]["user"]; ok {
		t.Errorf("a line without context got %v", lines[2])
	}
}

func TestRedacted(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"task_id":7}`, `{"task_id":7}`},
		{`{"client_secret":"s3cr3t","nested":{"Password":"p","keep":1},"list":[{"api_key":"k"}]}`,
			`{"client_secret":"[redacted]","list":[{"api_key":"[redacted]"}],"nested":{"Password":"[redacted]","keep":1}}`},
		{`not json s3cr3t`, `(not JSON, not logged)`},
	} {
		if got := logctx.Redacted([]byte(tc.in)); got != tc.want {
			t.Errorf("Redacted(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
