// Package validation carries per-field error messages from a capability back to the
// form that submitted the values.
package validation

import (
	"errors"
	"sort"
	"strings"
)

// Errors maps a form field name to a message shown beside that field.
type Errors map[string]string

// Add records msg for field unless the field already has a message.
func (e Errors) Add(field, msg string) {
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

// Err returns e as an error, or nil when there are no messages.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

func (e Errors) Error() string {
	fields := make([]string, 0, len(e))
	for f := range e {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f + ": " + e[f]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// As extracts field errors from err.
func As(err error) (Errors, bool) {
	var e Errors
	ok := errors.As(err, &e)
	return e, ok
}
