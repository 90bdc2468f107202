// Package logctx carries log attributes in a context: the request id and the user of a
// web request, the id and kind of a River job. A Handler adds them to every record
// logged with that context (slog.InfoContext(ctx, …)), so a line logged deep in a
// capability names the request or job it belongs to.
package logctx

import (
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
)

type key struct{}

// With returns ctx carrying attrs besides those it already carries.
func With(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(key{}).([]slog.Attr)
	all := make([]slog.Attr, 0, len(prev)+len(attrs))
	all = append(append(all, prev...), attrs...)
	return context.WithValue(ctx, key{}, all)
}

// Attrs returns the attributes ctx carries.
func Attrs(ctx context.Context) []slog.Attr {
	a, _ := ctx.Value(key{}).([]slog.Attr)
	return a
}

// Handler adds the context's attributes to each record, unless the record already has
// an attribute of that name (a call that logs request_id itself keeps its own).
type Handler struct{ slog.Handler }

// NewHandler wraps h.
func NewHandler(h slog.Handler) *Handler { return &Handler{h} }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if attrs := Attrs(ctx); len(attrs) > 0 {
		have := map[string]bool{}
		r.Attrs(func(a slog.Attr) bool {
			have[a.Key] = true
			return true
		})
		for _, a := range attrs {
			if !have[a.Key] {
				r.AddAttrs(a)
			}
		}
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{h.Handler.WithGroup(name)}
}

// secretName matches the names of fields that hold secrets.
var secretName = regexp.MustCompile(`(?i)secret|password|passwd|token|api_?key|credential|authorization|cookie`)

// Redacted is a JSON document (a job's arguments) with the values of secret-looking
// fields replaced, at any depth, for logging. What is not JSON is left out whole.
func Redacted(doc []byte) string {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return "(not JSON, not logged)"
	}
	out, err := json.Marshal(redact(v))
	if err != nil {
		return "(not logged)"
	}
	return string(out)
}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if secretName.MatchString(k) {
				t[k] = "[redacted]"
			} else {
				t[k] = redact(val)
			}
		}
	case []any:
		for i := range t {
			t[i] = redact(t[i])
		}
	}
	return v
}
