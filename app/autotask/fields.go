package autotask

import (
	"context"
	"fmt"
	"net/http"
	"sort"
)

// PicklistValue is one choice of a picklist field (queue, priority, status, source…).
type PicklistValue struct {
	Value     string `json:"value"`
	Label     string `json:"label"`
	IsActive  bool   `json:"isActive"`
	IsDefault bool   `json:"isDefaultValue"`
	SortOrder int    `json:"sortOrder"`
}

// Field is one field of an entity as entityInformation/fields describes it.
type Field struct {
	Name           string          `json:"name"`
	IsPickList     bool            `json:"isPickList"`
	PicklistValues []PicklistValue `json:"picklistValues"`
}

// TicketPicklists reads the active choices of the Tickets entity's picklist fields,
// keyed by field name and in Autotask's sort order.
func TicketPicklists(ctx context.Context, c *Client) (map[string][]PicklistValue, error) {
	base, err := c.base(ctx)
	if err != nil {
		return nil, fmt.Errorf("autotask: ticket fields: %w", err)
	}
	var r struct {
		Fields []Field `json:"fields"`
	}
	if err := c.do(ctx, http.MethodGet, base+"Tickets/entityInformation/fields", nil, &r); err != nil {
		return nil, fmt.Errorf("autotask: ticket fields: %w", err)
	}
	out := map[string][]PicklistValue{}
	for _, f := range r.Fields {
		if !f.IsPickList {
			continue
		}
		var vals []PicklistValue
		for _, v := range f.PicklistValues {
			if v.IsActive {
				vals = append(vals, v)
			}
		}
		sort.SliceStable(vals, func(i, j int) bool { return vals[i].SortOrder < vals[j].SortOrder })
		out[f.Name] = vals
	}
	return out, nil
}
