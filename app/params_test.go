package app

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// pathID takes a positive int64 and nothing else; anything else is a 404.
func TestPathID(t *testing.T) {
	for raw, want := range map[string]int64{
		"1": 1, "42": 42, "9223372036854775807": 9223372036854775807,
		"0": 0, "-1": 0, "abc": 0, "0x10": 0, "1.5": 0, "9223372036854775808": 0, " 7": 0,
	} {
		f := fiber.New()
		var got int64
		var gotErr error
		f.Get("/x/:id", func(c *fiber.Ctx) error { got, gotErr = pathID(c); return nil })
		if _, err := f.Test(httptest.NewRequest("GET", "/x/"+strings.ReplaceAll(raw, " ", "%20"), nil)); err != nil {
			t.Fatal(err)
		}
		var fe *fiber.Error
		switch {
		case want != 0 && (gotErr != nil || got != want):
			t.Errorf("pathID(%q) = %d, %v; want %d", raw, got, gotErr, want)
		case want == 0 && (!errors.As(gotErr, &fe) || fe.Code != fiber.StatusNotFound):
			t.Errorf("pathID(%q) = %d, %v; want a 404", raw, got, gotErr)
		}
	}
}

// formIDs reads every value, splits commas, drops repeats, and refuses junk, too many
// and none, each with its own status.
func TestFormIDs(t *testing.T) {
	many := make([]string, maxFormIDs+1)
	for i := range many {
		many[i] = fmt.Sprint(i + 1)
	}
	for _, tc := range []struct {
		body   string
		want   []int64
		status int
	}{
		{body: "mail_ids=3&mail_ids=1", want: []int64{3, 1}},
		{body: "mail_ids=3%2C1%2C+2", want: []int64{3, 1, 2}},
		{body: "mail_ids=5&mail_ids=5%2C6&other=9", want: []int64{5, 6}},
		{body: "mail_ids=" + strings.Join(many[:maxFormIDs], "%2C") + "&mail_ids=1", want: nil, status: 0}, // exactly the bound
		{body: "", status: fiber.StatusUnprocessableEntity},
		{body: "mail_ids=&mail_ids=%2C", status: fiber.StatusUnprocessableEntity},
		{body: "mail_ids=1&mail_ids=x", status: fiber.StatusBadRequest},
		{body: "mail_ids=0", status: fiber.StatusBadRequest},
		{body: "mail_ids=-4", status: fiber.StatusBadRequest},
		{body: "mail_ids=99999999999999999999", status: fiber.StatusBadRequest},
		{body: "mail_ids=" + strings.Join(many, "%2C"), status: fiber.StatusBadRequest},
	} {
		f := fiber.New()
		var got []int64
		var gotErr error
		f.Post("/", func(c *fiber.Ctx) error { got, gotErr = formIDs(c, "mail_ids", "mail"); return nil })
		req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, err := f.Test(req, -1); err != nil {
			t.Fatal(err)
		}
		name := tc.body
		if len(name) > 60 {
			name = name[:60] + "…"
		}
		var fe *fiber.Error
		switch {
		case tc.status != 0:
			if !errors.As(gotErr, &fe) || fe.Code != tc.status {
				t.Errorf("%s: %v, want status %d", name, gotErr, tc.status)
			}
		case gotErr != nil:
			t.Errorf("%s: %v", name, gotErr)
		case tc.want == nil:
			if len(got) != maxFormIDs {
				t.Errorf("%s: %d ids, want %d", name, len(got), maxFormIDs)
			}
		case !slices.Equal(got, tc.want):
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}
