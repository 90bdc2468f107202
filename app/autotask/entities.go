package autotask

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Ticket is the part of an Autotask ticket Backupchecks uses.
type Ticket struct {
	ID               int64     `json:"id"`
	TicketNumber     string    `json:"ticketNumber"`
	Title            string    `json:"title"`
	Status           int64     `json:"status"`
	CompanyID        int64     `json:"companyID"`
	LastActivityDate time.Time `json:"lastActivityDate"`
}

// Company is the part of an Autotask company used for customer mapping.
type Company struct {
	ID          int64  `json:"id"`
	CompanyName string `json:"companyName"`
	IsActive    bool   `json:"isActive"`
}

// TicketInput is a new ticket; zero ids are left out so Autotask applies its defaults.
type TicketInput struct {
	CompanyID    int64
	Title        string
	Description  string
	QueueID      int64
	Priority     int64
	Status       int64
	Source       int64
	IssueType    int64
	SubIssueType int64
}

type ticketBody struct {
	CompanyID    int64  `json:"companyID"`
	Title        string `json:"title"`
	Description  string `json:"description,omitempty"`
	QueueID      int64  `json:"queueID,omitempty"`
	Priority     int64  `json:"priority,omitempty"`
	Status       int64  `json:"status,omitempty"`
	Source       int64  `json:"source,omitempty"`
	IssueType    int64  `json:"issueType,omitempty"`
	SubIssueType int64  `json:"subIssueType,omitempty"`
}

// CreateTicket creates a ticket and returns its id and number; the create
// answer only carries the id, so the ticket is read back for its number.
func CreateTicket(ctx context.Context, c *Client, in TicketInput) (int64, string, error) {
	base, err := c.base(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("autotask: create ticket: %w", err)
	}
	var r struct {
		ItemID int64 `json:"itemId"`
	}
	body := ticketBody{
		CompanyID: in.CompanyID, Title: in.Title, Description: in.Description,
		QueueID: in.QueueID, Priority: in.Priority, Status: in.Status,
		Source: in.Source, IssueType: in.IssueType, SubIssueType: in.SubIssueType,
	}
	if err := c.do(ctx, http.MethodPost, base+"Tickets", body, &r); err != nil {
		return 0, "", fmt.Errorf("autotask: create ticket: %w", err)
	}
	if r.ItemID == 0 {
		return 0, "", fmt.Errorf("autotask: create ticket: no itemId in response")
	}
	t, err := GetByID[Ticket](ctx, c, "Tickets", r.ItemID)
	if err != nil {
		return r.ItemID, "", err
	}
	return r.ItemID, t.TicketNumber, nil
}

// SearchCompanies finds companies whose name contains name (Autotask matches case-insensitively).
func SearchCompanies(ctx context.Context, c *Client, name string, max int) ([]Company, error) {
	return Query[Company](ctx, c, "Companies", []Filter{{Op: "contains", Field: "companyName", Value: name}}, max)
}
