package app

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// pathID reads the route's :id: a positive int64, else a 404 that says why (the
// address holds no id, so there is nothing at it). Every route with an id in its path
// reads it here.
func pathID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fiber.NewError(fiber.StatusNotFound, "There is nothing at this address: the id in it must be a whole number from 1 up.")
	}
	return id, nil
}

// maxFormIDs bounds the ids one form may select: the most a page offers is a Run Checks
// page of runs (25 jobs × 50 runs), so anything near this was not sent by a page.
const maxFormIDs = 5000

// formIDs reads the ids a form selects in field (checkboxes, or hx-vals "1,2"): every
// value of the field, each one id or several separated by commas, in order and without
// repeats. None is a 422 ("Select at least one mail."); a value that is not an id, or
// more than maxFormIDs, is a 400 that says so. noun names one selected thing.
func formIDs(c *fiber.Ctx, field, noun string) ([]int64, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, raw := range c.Request().PostArgs().PeekMulti(field) {
		for _, part := range strings.Split(string(raw), ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			id, err := strconv.ParseInt(part, 10, 64)
			if err != nil || id <= 0 {
				return nil, fiber.NewError(fiber.StatusBadRequest,
					fmt.Sprintf("The selection holds something that is not a %s's id. Reload the page and select again.", noun))
			}
			if seen[id] {
				continue
			}
			if len(ids) == maxFormIDs {
				return nil, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("Select at most %d %ss at a time.", maxFormIDs, noun))
			}
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, fiber.NewError(fiber.StatusUnprocessableEntity, fmt.Sprintf("Select at least one %s.", noun))
	}
	return ids, nil
}
