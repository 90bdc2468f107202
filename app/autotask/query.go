package autotask

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Filter is one Autotask query condition; Op "and"/"or" group Items instead.
type Filter struct {
	Op    string   `json:"op"`
	Field string   `json:"field,omitempty"`
	Value any      `json:"value,omitempty"`
	Items []Filter `json:"items,omitempty"`
}

// maxPage is Autotask's largest MaxRecords per page.
const maxPage = 500

// inChunk keeps "in" filters well below Autotask's limit on filter values.
const inChunk = 200

type queryBody struct {
	Filter     []Filter `json:"filter"`
	MaxRecords int      `json:"MaxRecords,omitempty"`
}

type page[T any] struct {
	Items       []T `json:"items"`
	PageDetails struct {
		Count       int     `json:"count"`
		NextPageURL *string `json:"nextPageUrl"`
	} `json:"pageDetails"`
}

// Query runs a filtered query on entity (e.g. "Tickets") and follows
// nextPageUrl until the results run out or maxRecords (0 = all) is reached.
func Query[T any](ctx context.Context, c *Client, entity string, filter []Filter, maxRecords int) ([]T, error) {
	out, err := query[T](ctx, c, entity, filter, maxRecords)
	if err != nil {
		return nil, fmt.Errorf("autotask: query %s: %w", strings.ToLower(entity), err)
	}
	return out, nil
}

func query[T any](ctx context.Context, c *Client, entity string, filter []Filter, maxRecords int) ([]T, error) {
	base, err := c.base(ctx)
	if err != nil {
		return nil, err
	}
	if len(filter) == 0 {
		// Autotask rejects a query without a filter; this one matches everything.
		filter = []Filter{{Op: "exist", Field: "id"}}
	}
	body := queryBody{Filter: filter}
	if maxRecords > 0 {
		body.MaxRecords = min(maxRecords, maxPage)
	}
	var p page[T]
	if err := c.do(ctx, http.MethodPost, base+entity+"/query", body, &p); err != nil {
		return nil, err
	}
	out := p.Items
	seen := map[string]bool{}
	for p.PageDetails.NextPageURL != nil && *p.PageDetails.NextPageURL != "" {
		if maxRecords > 0 && len(out) >= maxRecords {
			break
		}
		next := *p.PageDetails.NextPageURL
		if seen[next] { // a server repeating itself must not loop us forever
			return nil, fmt.Errorf("paging loop at %s", next)
		}
		seen[next] = true
		p = page[T]{}
		if err := c.do(ctx, http.MethodGet, next, nil, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
	}
	if maxRecords > 0 && len(out) > maxRecords {
		out = out[:maxRecords]
	}
	return out, nil
}

// GetByID reads one entity; a missing one is ErrNotFound.
func GetByID[T any](ctx context.Context, c *Client, entity string, id int64) (T, error) {
	v, err := getByID[T](ctx, c, entity, id)
	if err != nil {
		return v, fmt.Errorf("autotask: get %s %d: %w", strings.ToLower(entity), id, err)
	}
	return v, nil
}

func getByID[T any](ctx context.Context, c *Client, entity string, id int64) (T, error) {
	var zero T
	base, err := c.base(ctx)
	if err != nil {
		return zero, err
	}
	var r struct {
		Item *T `json:"item"`
	}
	if err := c.do(ctx, http.MethodGet, base+entity+"/"+strconv.FormatInt(id, 10), nil, &r); err != nil {
		return zero, err
	}
	if r.Item == nil { // Autotask answers {"item":null} for some missing ids
		return zero, ErrNotFound
	}
	return *r.Item, nil
}

// GetByIDs reads many entities with "in" queries of at most 200 ids. When a
// chunk is refused (4xx, e.g. one invalid id) its ids are read one by one and
// the missing ones skipped, so one bad id does not hide the other 199.
func GetByIDs[T any](ctx context.Context, c *Client, entity string, ids []int64) ([]T, error) {
	var out []T
	for start := 0; start < len(ids); start += inChunk {
		chunk := ids[start:min(start+inChunk, len(ids))]
		items, err := query[T](ctx, c, entity, []Filter{{Op: "in", Field: "id", Value: chunk}}, 0)
		if err == nil {
			out = append(out, items...)
			continue
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status < 400 || ae.Status >= 500 ||
			ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden || ae.Status == http.StatusTooManyRequests {
			return nil, fmt.Errorf("autotask: query %s: %w", strings.ToLower(entity), err)
		}
		for _, id := range chunk {
			v, err := getByID[T](ctx, c, entity, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("autotask: get %s %d: %w", strings.ToLower(entity), id, err)
			}
			out = append(out, v)
		}
	}
	return out, nil
}
