package app

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// checkParams refuses a request whose query string or url-encoded form holds a name or
// value that is not UTF-8 text or contains a NUL: PostgreSQL accepts neither in text, no
// page of this app sends them, and refusing them here once means no handler has to.
// Multipart bodies (uploads) are left to their handlers, which stream them.
func checkParams(c *fiber.Ctx) error {
	if err := checkArgs("address", c.Context().QueryArgs()); err != nil {
		return err
	}
	if err := checkArgs("form", c.Context().PostArgs()); err != nil {
		return err
	}
	return c.Next()
}

func checkArgs(where string, args *fasthttp.Args) error {
	var bad []byte
	args.VisitAll(func(k, v []byte) {
		if bad == nil && (!validText(k) || !validText(v)) {
			bad = k
		}
	})
	if bad == nil {
		return nil
	}
	return fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf(
		"The %s's %s value is not valid text: it must be UTF-8 without NUL characters.", where, strconv.Quote(string(bad))))
}

func validText(b []byte) bool { return utf8.Valid(b) && !strings.ContainsRune(string(b), 0) }

// maxPage bounds page numbers so that (page-1)×perPage cannot overflow whatever the
// page size; a page that far lies past the end of any list.
const maxPage = 1 << 20

// pageNumber reads a page number: anything that is not a positive number is page 1,
// and a number beyond maxPage (however large) is maxPage.
func pageNumber(raw string) int {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	switch {
	case errors.Is(err, strconv.ErrRange) && n > 0:
		return maxPage
	case err != nil || n < 1:
		return 1
	case n > maxPage:
		return maxPage
	}
	return n
}

// pageParam is the ?page= of a paginated list.
func pageParam(c *fiber.Ctx) int { return pageNumber(c.Query("page")) }
