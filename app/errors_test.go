package app

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/db"
)

func TestDescribeError(t *testing.T) {
	for _, tc := range []struct {
		err            error
		status         int
		title, message string
	}{
		{fiber.NewError(fiber.StatusUnprocessableEntity, "Select at least one run."), 422, "Not saved", "Select at least one run."},
		{fiber.NewError(fiber.StatusConflict, "You cannot deactivate yourself."), 409, "Not done", "You cannot deactivate yourself."},
		{fiber.ErrNotFound, 404, "Not found", "There is no page at this address."},
		{fiber.ErrBadRequest, 400, "This request cannot be handled", "Something in the address or the form is not right. Go back and try again."},
		{fiber.ErrTooManyRequests, 429, "Too many attempts", "Wait a moment and try again."},
		{fmt.Errorf("review: get run 7: %w", db.ErrNotFound), 404, "Not found", "What you asked for does not exist (any more)."},
		{errors.New("pq: connection refused"), 500, "Something went wrong", "The server could not complete this request. It has been logged; try again in a moment."},
		{fiber.ErrBadGateway, 502, "Something went wrong", "The server could not complete this request. It has been logged; try again in a moment."},
		{fiber.ErrTeapot, 418, "The request failed", "Try again in a moment."},
	} {
		e := describeError(tc.err)
		if e.Status != tc.status || e.Title != tc.title || e.Message != tc.message {
			t.Errorf("%v: %d %q %q, want %d %q %q", tc.err, e.Status, e.Title, e.Message, tc.status, tc.title, tc.message)
		}
	}
}

// TestErrorWording: what a person reads of an error is a sentence, with no HTTP
// reason phrase ("Unprocessable Entity.", "Conflict.") before it and no request id in
// it; the status and request id sit in a details line.
func TestErrorWording(t *testing.T) {
	h := newHarness(t, Options{})
	admin := h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	reasonPhrases := []string{"Unprocessable", "Conflict", "Not Found", "Bad Request", "Forbidden"}
	readable := func(t *testing.T, r *response, sel, want string) {
		t.Helper()
		shown := r.doc.Find(sel).First().Clone()
		details := strings.Join(strings.Fields(shown.Find(".error-details").Text()), " ")
		shown.Find(".error-details").Remove()
		text := strings.Join(strings.Fields(shown.Text()), " ")
		if !strings.Contains(text, want) {
			t.Fatalf("%s reads %q, want %q", sel, text, want)
		}
		for _, p := range reasonPhrases {
			if strings.Contains(text, p) {
				t.Fatalf("%s reads %q: the reason phrase %q is not for people", sel, text, p)
			}
		}
		id := r.Header.Get("X-Request-Id")
		if id == "" || strings.Contains(text, id) || !strings.Contains(details, id) || !strings.Contains(details, fmt.Sprint(r.StatusCode)) {
			t.Fatalf("request id %q: in the text %q, in the details %q", id, text, details)
		}
	}

	r := c.hx("POST", "/runchecks/review", nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	readable(t, r, ".alert-danger", "Select at least one run.")

	r = c.hx("POST", fmt.Sprintf("/users/%d/deactivate", admin.ID), nil)
	wantStatus(t, r, http.StatusConflict)
	readable(t, r, ".alert-danger", "You cannot deactivate yourself.")

	r = c.get("/no-such-page")
	wantStatus(t, r, http.StatusNotFound)
	readable(t, r, ".error-page", "There is no page at this address.")
	if h1 := r.text("h1"); h1 != "Not found" {
		t.Fatalf("error page heading %q", h1)
	}
}
