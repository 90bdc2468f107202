package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/autotask"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/settings"
	customersview "github.com/backupchecks/backupchecks/components/customers"
	"github.com/backupchecks/backupchecks/components/ui"
)

// autotaskClient builds a client from the saved connection, or says why it cannot.
func (a *App) autotaskClient(c *fiber.Ctx) (*autotask.Client, error) {
	s := state(c).settings
	if !s.AutotaskEnabled {
		return nil, errors.New("the Autotask integration is not enabled (Settings → Integrations)")
	}
	return settings.AutotaskClient(s, a.keys, a.cfg.AutotaskZoneURLs)
}

func autotaskFail(err error) string {
	return "Autotask: " + strings.TrimPrefix(err.Error(), "autotask: ")
}

// customerAutotask shows a customer's mapping in place of its row; with q it also
// searches Autotask's companies.
func (a *App) customerAutotask(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r, err := customers.GetRow(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	p := customersview.AutotaskPanel{Row: customerRowView(r), Query: strings.TrimSpace(c.Query("q"))}
	if p.Query == "" && p.AutotaskCompany == "" {
		p.Query = r.Name // most companies are named like the customer: start there
	}
	if p.Query != "" {
		p.Searched = true
		ctx, cancel := context.WithTimeout(c.UserContext(), 30*time.Second)
		defer cancel()
		client, err := a.autotaskClient(c)
		var found []autotask.Company
		if err == nil {
			found, err = autotask.SearchCompanies(ctx, client, p.Query, 25)
		}
		if err != nil {
			p.Error = autotaskFail(err)
		}
		sort.SliceStable(found, func(i, j int) bool { return found[i].IsActive && !found[j].IsActive })
		for _, co := range found {
			p.Results = append(p.Results, customersview.Company{ID: co.ID, Name: co.CompanyName, Active: co.IsActive})
		}
	}
	return a.renderFragment(c, fiber.StatusOK, customersview.AutotaskRow(a.view(c), p))
}

// customerAutotaskMap maps the customer to the chosen company, read again from
// Autotask so the stored name and state are Autotask's own.
func (a *App) customerAutotaskMap(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	companyID, err := strconv.ParseInt(c.FormValue("company_id"), 10, 64)
	if err != nil || companyID <= 0 {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose an Autotask company.")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 30*time.Second)
	defer cancel()
	client, err := a.autotaskClient(c)
	var co autotask.Company
	if err == nil {
		co, err = autotask.GetByID[autotask.Company](ctx, client, "Companies", companyID)
	}
	if err != nil {
		return a.customerAutotaskPanelError(c, id, autotaskFail(err))
	}
	if err := customers.SetMapping(c.UserContext(), a.db.Bun, a.actor(c), id, co, a.now()); err != nil {
		return err
	}
	return a.customerRowWithFlash(c, id, fmt.Sprintf("Mapped to Autotask company %s.", co.CompanyName))
}

func (a *App) customerAutotaskClear(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := customers.ClearMapping(c.UserContext(), a.db.Bun, a.actor(c), id); err != nil {
		return err
	}
	return a.customerRowWithFlash(c, id, "Autotask mapping removed.")
}

func (a *App) customerAutotaskRefresh(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 30*time.Second)
	defer cancel()
	client, err := a.autotaskClient(c)
	if err == nil {
		_, err = customers.RefreshMappings(ctx, a.db.Bun, client, a.actor(c), []int64{id}, a.now())
	}
	if err != nil {
		return a.customerAutotaskPanelError(c, id, autotaskFail(err))
	}
	r, err := customers.GetRow(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, customersview.AutotaskRow(a.view(c), customersview.AutotaskPanel{Row: customerRowView(r)}),
		success("Mapping checked: "+deref(r.AutotaskStatus)+"."))
}

// customersAutotaskRefresh checks every mapped customer against Autotask and shows
// the table again with the new states.
func (a *App) customersAutotaskRefresh(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Minute)
	defer cancel()
	client, err := a.autotaskClient(c)
	if err != nil {
		return fiber.NewError(fiber.StatusUnprocessableEntity, autotaskFail(err))
	}
	res, err := customers.RefreshMappings(ctx, a.db.Bun, client, a.actor(c), nil, a.now())
	if err != nil {
		return fiber.NewError(fiber.StatusBadGateway, autotaskFail(err))
	}
	l, err := a.customersList(c, customerFilter(c))
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Checked %s in Autotask: %d ok, %d renamed, %d missing, %d inactive.", ui.Count(res.Checked, "mapping", "mappings"),
		res.ByState[customers.MappingOK], res.ByState[customers.MappingRenamed], res.ByState[customers.MappingMissing], res.ByState[customers.MappingInvalid])
	return a.renderFragment(c, fiber.StatusOK, customersview.Table(a.view(c), l), success(msg))
}

func (a *App) customerAutotaskPanelError(c *fiber.Ctx, id int64, msg string) error {
	r, err := customers.GetRow(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, customersview.AutotaskRow(a.view(c), customersview.AutotaskPanel{Row: customerRowView(r), Error: msg}))
}

func (a *App) customerRowWithFlash(c *fiber.Ctx, id int64, msg string) error {
	r, err := customers.GetRow(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, customersview.RowView(a.view(c), customerRowView(r), autotaskOn(c), false), success(msg))
}
