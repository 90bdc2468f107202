package reports

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Audit actions of reports.
const (
	AuditCreated   = "report.created"
	AuditUpdated   = "report.updated"
	AuditDeleted   = "report.deleted"
	AuditGenerated = "report.generated"
	AuditDelivered = "report.delivered"
	AuditFailed    = "report.delivery_failed"
)

// Schedules of delivery.
const (
	ScheduleNone      = "none"
	ScheduleWeekly    = "weekly"
	ScheduleMonthly   = "monthly"
	ScheduleQuarterly = "quarterly"
)

// ScheduleLabel is how a schedule is shown.
func ScheduleLabel(s string) string {
	switch s {
	case ScheduleWeekly:
		return "Weekly (after each full week)"
	case ScheduleMonthly:
		return "Monthly (after each full month)"
	case ScheduleQuarterly:
		return "Quarterly (after each full quarter)"
	}
	return "Not scheduled"
}

// Definition is a saved report with its customers' names and its recipients.
type Definition struct {
	db.ReportDefinition
	CustomerNames []string // of CustomerIDs, by name (customers deleted since are left out)
	Recipients    []db.ReportRecipient
}

// Content is what the definition shows.
func (d *Definition) Content() Content {
	return Content{Jobs: d.ShowJobs, Grid: d.ShowGrid, Trend: d.ShowTrend, Failures: d.ShowFailures}
}

// Range is the definition's period as seen at now in loc.
func (d *Definition) Range(now time.Time, loc *time.Location) (Range, error) {
	var from, to Day
	if d.CustomFrom != nil {
		from = DayOf(*d.CustomFrom)
	}
	if d.CustomTo != nil {
		to = DayOf(*d.CustomTo)
	}
	return PeriodRange(d.Period, now, loc, from, to)
}

// Scope is what the definition covers over r.
func (d *Definition) Scope(r Range, loc *time.Location) Scope {
	return Scope{AllCustomers: d.AllCustomers, CustomerIDs: d.CustomerIDs, Software: d.BackupSoftware, Types: d.BackupTypes,
		Range: r, Loc: loc}
}

// SearchColumns are what a Reports search (the page's q and the global search) looks
// in, for definitions d: their name and their customers' names.
var SearchColumns = []string{"d.name", "EXISTS (SELECT 1 FROM customers c WHERE c.id = ANY(d.customer_ids) AND c.name ILIKE {})"}

// ListDefinitions returns every definition matching query (search terms over
// SearchColumns; "" for all) by name with its customers' names.
func ListDefinitions(ctx context.Context, idb bun.IDB, query string) ([]Definition, error) {
	var rows []struct {
		db.ReportDefinition `bun:",extend"`
		CustomerNames       []string `bun:",array"`
	}
	q := idb.NewSelect().Model(&rows).ModelTableExpr("report_definitions AS d").
		ColumnExpr("d.*").
		ColumnExpr("array(SELECT c.name FROM customers c WHERE c.id = ANY(d.customer_ids) ORDER BY lower(c.name)) AS customer_names")
	if cond, args := terms.Parse(query).Where(SearchColumns...); cond != "" {
		q = q.Where(cond, args...)
	}
	err := q.OrderExpr("lower(d.name), d.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reports: list definitions: %w", err)
	}
	out := make([]Definition, len(rows))
	for i, r := range rows {
		out[i] = Definition{ReportDefinition: r.ReportDefinition, CustomerNames: r.CustomerNames}
	}
	return out, nil
}

// GetDefinition loads one definition with its customers' names and recipients.
func GetDefinition(ctx context.Context, idb bun.IDB, id int64) (*Definition, error) {
	d := new(Definition)
	if err := idb.NewSelect().Model(&d.ReportDefinition).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reports: definition %d: %w", id, db.NotFound(err))
	}
	if err := idb.NewRaw("SELECT coalesce(array_agg(name ORDER BY lower(name)), '{}') FROM customers WHERE id = ANY(?)",
		pgArray(d.CustomerIDs)).Scan(ctx, pgArray(&d.CustomerNames)); err != nil {
		return nil, fmt.Errorf("reports: definition %d customers: %w", id, err)
	}
	if err := idb.NewSelect().Model(&d.Recipients).Where("definition_id = ?", id).
		OrderExpr("customer_id NULLS FIRST, lower(email)").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reports: definition %d recipients: %w", id, err)
	}
	return d, nil
}

// DefinitionInput is the definition form as submitted.
type DefinitionInput struct {
	Name          string
	AllCustomers  bool
	CustomerIDs   []int64
	Software      []string
	Types         []string
	Period        string
	CustomFrom    string
	CustomTo      string
	ShowJobs      bool
	ShowGrid      bool
	ShowTrend     bool
	ShowFailures  bool
	Schedule      string
	Recipients    string // lines "Customer name: a@x, b@y"; a line of addresses alone is an MSP copy
	recipientRows []db.ReportRecipient
}

// InputOf is the form of an existing definition.
func InputOf(d *Definition, customerName func(int64) string) DefinitionInput {
	in := DefinitionInput{Name: d.Name, AllCustomers: d.AllCustomers, CustomerIDs: d.CustomerIDs, Software: d.BackupSoftware,
		Types: d.BackupTypes, Period: d.Period, ShowJobs: d.ShowJobs, ShowGrid: d.ShowGrid, ShowTrend: d.ShowTrend,
		ShowFailures: d.ShowFailures, Schedule: d.Schedule}
	if d.CustomFrom != nil {
		in.CustomFrom = d.CustomFrom.Format(time.DateOnly)
	}
	if d.CustomTo != nil {
		in.CustomTo = d.CustomTo.Format(time.DateOnly)
	}
	in.Recipients = RecipientsText(d.Recipients, customerName)
	return in
}

// RecipientsText writes recipients as the form's lines: MSP copies first, then one
// line per customer.
func RecipientsText(rs []db.ReportRecipient, customerName func(int64) string) string {
	var msp []string
	var order []int64
	per := map[int64][]string{}
	for _, r := range rs {
		if r.CustomerID == nil {
			msp = append(msp, r.Email)
			continue
		}
		if _, ok := per[*r.CustomerID]; !ok {
			order = append(order, *r.CustomerID)
		}
		per[*r.CustomerID] = append(per[*r.CustomerID], r.Email)
	}
	var lines []string
	if len(msp) > 0 {
		lines = append(lines, strings.Join(msp, ", "))
	}
	for _, id := range order {
		lines = append(lines, customerName(id)+": "+strings.Join(per[id], ", "))
	}
	return strings.Join(lines, "\n")
}

// Limits of a definition.
const (
	maxNameLen       = 120
	maxRecipients    = 500
	maxFilterEntries = 50
)

// validate checks in and resolves its recipients' customers by name (case-insensitive).
func (in *DefinitionInput) validate(ctx context.Context, idb bun.IDB) (validation.Errors, *time.Time, *time.Time, error) {
	errs := validation.Errors{}
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		errs.Add("name", "enter a name, e.g. Monthly backup report")
	case len([]rune(in.Name)) > maxNameLen:
		errs.Add("name", fmt.Sprintf("at most %d characters", maxNameLen))
	}
	in.CustomerIDs = compactIDs(in.CustomerIDs)
	if !in.AllCustomers && len(in.CustomerIDs) == 0 {
		errs.Add("customers", "choose one or more customers, or all customers")
	}
	in.Software, in.Types = compactStrings(in.Software), compactStrings(in.Types)
	if len(in.Software) > maxFilterEntries || len(in.Types) > maxFilterEntries {
		errs.Add("software", fmt.Sprintf("choose at most %d values", maxFilterEntries))
	}
	var from, to *time.Time
	if in.Period == PeriodCustom {
		f, ferr := ParseDay(strings.TrimSpace(in.CustomFrom))
		tt, terr := ParseDay(strings.TrimSpace(in.CustomTo))
		switch {
		case ferr != nil:
			errs.Add("custom_from", "enter the first day as YYYY-MM-DD")
		case terr != nil:
			errs.Add("custom_to", "enter the last day as YYYY-MM-DD")
		default:
			if _, err := PeriodRange(PeriodCustom, time.Now(), time.UTC, f, tt); err != nil {
				errs.Add("custom_to", err.Error())
			}
			fu, tu := f.utc(), tt.utc()
			from, to = &fu, &tu
		}
	} else if PeriodLabel(in.Period) == in.Period {
		errs.Add("period", "choose a period")
	}
	switch in.Schedule {
	case ScheduleNone, ScheduleWeekly, ScheduleMonthly, ScheduleQuarterly:
	default:
		errs.Add("schedule", "choose a schedule")
	}
	if !in.ShowJobs && !in.ShowGrid && !in.ShowTrend && !in.ShowFailures {
		errs.Add("content", "show at least one part besides the figures")
	}

	// Existing customers among those chosen.
	if len(in.CustomerIDs) > 0 {
		var found []int64
		if err := idb.NewRaw("SELECT id FROM customers WHERE id = ANY(?) ORDER BY id", pgArray(in.CustomerIDs)).Scan(ctx, &found); err != nil {
			return nil, nil, nil, fmt.Errorf("reports: check customers: %w", err)
		}
		if len(found) != len(in.CustomerIDs) {
			errs.Add("customers", "a chosen customer no longer exists; choose again")
		}
	}
	in.recipientRows = nil
	if msg, err := in.parseRecipients(ctx, idb); err != nil {
		return nil, nil, nil, err
	} else if msg != "" {
		errs.Add("recipients", msg)
	}
	if in.Schedule != ScheduleNone && len(in.recipientRows) == 0 && errs["recipients"] == "" {
		errs.Add("recipients", "a scheduled report needs at least one recipient")
	}
	return errs, from, to, nil
}

func (in *DefinitionInput) parseRecipients(ctx context.Context, idb bun.IDB) (string, error) {
	seen := map[string]bool{}
	for n, line := range strings.Split(in.Recipients, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var customerID *int64
		addrs := line
		// An address holds no ":", so the last one ends a customer's name.
		if i := strings.LastIndex(line, ":"); i >= 0 {
			name := strings.TrimSpace(line[:i])
			addrs = line[i+1:]
			var ids []int64
			if err := idb.NewRaw("SELECT id FROM customers WHERE lower(name) = lower(?)", name).Scan(ctx, &ids); err != nil {
				return "", fmt.Errorf("reports: recipients: %w", err)
			}
			if len(ids) != 1 {
				return fmt.Sprintf("line %d: there is no customer named %q", n+1, name), nil
			}
			if !in.AllCustomers && !slices.Contains(in.CustomerIDs, ids[0]) {
				return fmt.Sprintf("line %d: %q is not one of this report's customers", n+1, name), nil
			}
			customerID = &ids[0]
		}
		for _, a := range strings.FieldsFunc(addrs, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' }) {
			addr, err := mail.ParseAddress(a)
			if err != nil || addr.Name != "" || strings.ContainsAny(addr.Address, "\r\n") {
				return fmt.Sprintf("line %d: %q is not an e-mail address", n+1, a), nil
			}
			key := fmt.Sprint(customerID != nil, ptrVal(customerID), strings.ToLower(addr.Address))
			if seen[key] {
				continue
			}
			seen[key] = true
			in.recipientRows = append(in.recipientRows, db.ReportRecipient{CustomerID: customerID, Email: addr.Address})
		}
		if len(in.recipientRows) > maxRecipients {
			return fmt.Sprintf("at most %d recipients", maxRecipients), nil
		}
	}
	return "", nil
}

func ptrVal(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// SaveDefinition creates (id 0) or updates a definition with its recipients and audits
// it. A bad value comes back as validation.Errors by field. now and loc set the first
// period a newly scheduled definition delivers: the period running now.
func SaveDefinition(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64, in DefinitionInput, now time.Time, loc *time.Location) (*db.ReportDefinition, error) {
	errs, from, to, err := in.validate(ctx, bdb)
	if err != nil {
		return nil, err
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	d := &db.ReportDefinition{ID: id, Name: in.Name, AllCustomers: in.AllCustomers, CustomerIDs: in.CustomerIDs,
		BackupSoftware: in.Software, BackupTypes: in.Types, Period: in.Period, CustomFrom: from, CustomTo: to,
		ShowJobs: in.ShowJobs, ShowGrid: in.ShowGrid, ShowTrend: in.ShowTrend, ShowFailures: in.ShowFailures, Schedule: in.Schedule}
	if d.AllCustomers {
		d.CustomerIDs = []int64{}
	}
	if d.BackupSoftware == nil {
		d.BackupSoftware = []string{}
	}
	if d.BackupTypes == nil {
		d.BackupTypes = []string{}
	}
	if actor.ID != 0 {
		d.UpdatedBy = &actor.ID
	}
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var old *db.ReportDefinition
		if id != 0 {
			old = new(db.ReportDefinition)
			if err := tx.NewSelect().Model(old).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
				return fmt.Errorf("reports: update definition %d: %w", id, db.NotFound(err))
			}
			d.CreatedBy, d.CreatedAt = old.CreatedBy, old.CreatedAt
		}
		var taken bool
		if err := tx.NewRaw("SELECT EXISTS (SELECT 1 FROM report_definitions WHERE lower(name) = lower(?) AND id <> ?)", d.Name, id).
			Scan(ctx, &taken); err != nil {
			return fmt.Errorf("reports: save definition: %w", err)
		}
		if taken {
			return validation.Errors{"name": "another report has this name"}
		}
		switch {
		case d.Schedule == ScheduleNone:
			d.NextPeriodFrom = nil
		case old != nil && old.Schedule == d.Schedule && old.NextPeriodFrom != nil:
			d.NextPeriodFrom = old.NextPeriodFrom
		default:
			start := scheduleStart(d.Schedule, DayOf(now.In(loc))).utc()
			d.NextPeriodFrom = &start
		}
		cols := []string{"name", "all_customers", "customer_ids", "backup_software", "backup_types", "period", "custom_from",
			"custom_to", "show_jobs", "show_grid", "show_trend", "show_failures", "schedule", "next_period_from", "updated_by"}
		action := AuditUpdated
		if id == 0 {
			action = AuditCreated
			d.CreatedBy = d.UpdatedBy
			if _, err := tx.NewInsert().Model(d).Column(append(cols, "created_by")...).Returning("*").Exec(ctx); err != nil {
				return fmt.Errorf("reports: create definition: %w", err)
			}
		} else if _, err := tx.NewUpdate().Model(d).Column(cols...).Set("updated_at = now()").WherePK().Returning("*").Exec(ctx); err != nil {
			return fmt.Errorf("reports: update definition %d: %w", id, err)
		}
		if _, err := tx.NewDelete().Model((*db.ReportRecipient)(nil)).Where("definition_id = ?", d.ID).Exec(ctx); err != nil {
			return fmt.Errorf("reports: recipients: %w", err)
		}
		for i := range in.recipientRows {
			in.recipientRows[i].DefinitionID = d.ID
		}
		if len(in.recipientRows) > 0 {
			if _, err := tx.NewInsert().Model(&in.recipientRows).Column("definition_id", "customer_id", "email").Exec(ctx); err != nil {
				return fmt.Errorf("reports: recipients: %w", err)
			}
		}
		details := map[string]any{"name": d.Name, "period": d.Period, "all_customers": d.AllCustomers,
			"customers": len(d.CustomerIDs), "schedule": d.Schedule, "recipients": len(in.recipientRows)}
		return audit.Record(ctx, tx, actor, action, fmt.Sprintf("report %d", d.ID), details)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeleteDefinition removes a definition with its recipients, delivery history and
// files, and audits it.
func DeleteDefinition(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64) error {
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var name string
		if err := tx.NewDelete().Model((*db.ReportDefinition)(nil)).Where("id = ?", id).Returning("name").Scan(ctx, &name); err != nil {
			return fmt.Errorf("reports: delete definition %d: %w", id, db.NotFound(err))
		}
		return audit.Record(ctx, tx, actor, AuditDeleted, fmt.Sprintf("report %d", id), map[string]any{"name": name})
	})
}

// FilterOptions are the choices of the definition form.
type FilterOptions struct {
	Customers []Customer
	Software  []string
	Types     []string
}

// LoadFilterOptions lists the customers and the job software and types in use.
func LoadFilterOptions(ctx context.Context, idb bun.IDB) (FilterOptions, error) {
	var o FilterOptions
	if err := idb.NewRaw("SELECT id, name FROM customers ORDER BY lower(name), id").Scan(ctx, &o.Customers); err != nil {
		return o, fmt.Errorf("reports: customers: %w", err)
	}
	if err := idb.NewRaw("SELECT DISTINCT backup_software FROM jobs ORDER BY 1").Scan(ctx, &o.Software); err != nil {
		return o, fmt.Errorf("reports: software: %w", err)
	}
	if err := idb.NewRaw("SELECT DISTINCT backup_type FROM jobs ORDER BY 1").Scan(ctx, &o.Types); err != nil {
		return o, fmt.Errorf("reports: types: %w", err)
	}
	return o, nil
}

func compactIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(id int64) bool { return id <= 0 })
}

func compactStrings(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
