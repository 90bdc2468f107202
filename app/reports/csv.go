package reports

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/backupchecks/backupchecks/app/csvcell"
	"github.com/uptrace/bun"
)

// csvHeader names the columns of the CSV export, one line per run.
var csvHeader = []string{"Customer", "Job", "Backup software", "Backup type", "Run time", "Status",
	"Reported status", "Overridden", "Message", "Tickets", "Remarks", "Reviewed"}

// WriteCSV writes the runs of scope's customers over its range as CSV (RFC 4180,
// UTF-8 with a byte order mark so that Excel reads the names right), one line per run,
// by customer, job and time. Rows are streamed from the database as they are written,
// so an "all customers" export holds one row in memory at a time.
func WriteCSV(ctx context.Context, idb bun.IDB, s Scope, w io.Writer) (int, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180 line breaks
	if err := cw.Write(csvHeader); err != nil {
		return 0, err
	}
	loc := s.loc()
	q := jobFilter(idb.NewSelect().TableExpr("job_runs AS r").Join("JOIN jobs AS j ON j.id = r.job_id").
		Join("JOIN customers AS c ON c.id = j.customer_id").
		ColumnExpr("c.name, j.job_name, j.backup_software, j.backup_type, r.run_at").
		ColumnExpr(effective+", r.status, r.overridden_status IS NOT NULL AND r.overridden_status <> r.status").
		ColumnExpr("coalesce(r.message, '')").
		ColumnExpr(`concat_ws(' ', (SELECT string_agg(t.ticket_code, ' ' ORDER BY t.ticket_code) FROM ticket_job_runs tjr
			JOIN tickets t ON t.id = tjr.ticket_id WHERE tjr.job_run_id = r.id), r.autotask_ticket_number)`).
		ColumnExpr(`concat_ws(' | ', (SELECT string_agg(rm.body, ' | ' ORDER BY rm.id) FROM remark_job_runs rjr
			JOIN remarks rm ON rm.id = rjr.remark_id WHERE rjr.job_run_id = r.id), nullif(r.remark, ''))`).
		ColumnExpr("r.reviewed_at IS NOT NULL").
		Where("r.run_at >= ? AND r.run_at < ?", s.Range.Start(loc), s.Range.End(loc)).
		Where("r.superseded_at IS NULL").
		Where("j.archived_at IS NULL OR j.archived_at >= ?", s.Range.Start(loc)).
		OrderExpr("lower(c.name), c.id, lower(j.job_name), j.id, r.run_at, r.id"), s)
	if s.AllCustomers {
		q = q.Where("c.active")
	} else {
		q = q.Where("c.id IN (?)", bun.In(nonEmpty(s.CustomerIDs)))
	}
	rows, err := q.Rows(ctx)
	if err != nil {
		return 0, fmt.Errorf("reports: csv: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			customer, job, software, typ, status, reported, message, tickets, remarks string
			at                                                                        time.Time
			overridden, reviewed                                                      bool
		)
		if err := rows.Scan(&customer, &job, &software, &typ, &at, &status, &reported, &overridden, &message,
			&tickets, &remarks, &reviewed); err != nil {
			return n, fmt.Errorf("reports: csv: %w", err)
		}
		rec := []string{customer, job, software, typ, at.In(loc).Format("2006-01-02 15:04"), status, reported,
			yesNo(overridden), oneLine(message), tickets, oneLine(remarks), yesNo(reviewed)}
		for i, v := range rec {
			rec[i] = csvcell.Text(v)
		}
		if err := cw.Write(rec); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("reports: csv: %w", err)
	}
	cw.Flush()
	return n, cw.Error()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// oneLine keeps a multi-line message readable in one cell.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
