package customers

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/app/audit"
)

// MaxImportBytes is the largest CSV file ImportCSV reads.
const MaxImportBytes = 10 << 20

// exportPageSize is how many customers ExportCSV reads per query.
const exportPageSize = 500

// ExportCSV writes every customer (inactive ones too) as CSV with the header row
// name,active,jobs (jobs: the count of non-archived jobs), sorted by name. It reads the
// customers in keyset pages, so memory stays flat however many there are.
func ExportCSV(ctx context.Context, idb bun.IDB, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"name", "active", "jobs"}); err != nil {
		return fmt.Errorf("customers: export: %w", err)
	}
	after, first := "", true
	for {
		var rows []struct {
			Row
			Key string `bun:"key"`
		}
		q := idb.NewSelect().TableExpr("customers AS c").
			ColumnExpr("c.id, c.name, c.active, jc.job_count, lower(c.name) AS key").Join(jobCounts).
			OrderExpr("lower(c.name)").Limit(exportPageSize)
		if !first {
			q = q.Where("lower(c.name) > ?", after) // lower(name) is unique: a complete key
		}
		if err := q.Scan(ctx, &rows); err != nil {
			return fmt.Errorf("customers: export: %w", err)
		}
		for _, r := range rows {
			if err := cw.Write([]string{r.Name, strconv.FormatBool(r.Active), strconv.Itoa(r.JobCount)}); err != nil {
				return fmt.Errorf("customers: export: %w", err)
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("customers: export: %w", err)
		}
		if len(rows) < exportPageSize {
			return nil
		}
		after, first = rows[len(rows)-1].Key, false
	}
}

// ImportResult counts what ImportCSV did.
type ImportResult struct {
	Created   int
	Updated   int // active flag changed
	Unchanged int
}

// LineError is one problem of an imported file; Line is 1-based (0: the whole file).
type LineError struct {
	Line    int
	Message string
}

func (e LineError) String() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Message)
}

// ImportError lists every problem of a rejected file; nothing was imported.
type ImportError []LineError

func (e ImportError) Error() string {
	parts := make([]string, len(e))
	for i, le := range e {
		parts[i] = le.String()
	}
	return "customers: import rejected: " + strings.Join(parts, "; ")
}

// importLine is one customer of an imported file.
type importLine struct {
	name   string
	active string // "true", "false" or "" (not given)
}

// ImportCSV upserts customers by name (case-insensitive) from CSV: a header row with a
// name column and an optional active column (true/false, yes/no, 1/0, ja/nee; empty:
// not given). New names are created (active unless the file says otherwise); existing
// customers get the file's active flag and keep their name. A comma or semicolon
// separates the fields (as the header shows); a UTF-8 byte order mark is skipped. Any
// bad line rejects the whole file with an ImportError naming each line, and nothing is
// imported; otherwise all of it is, in one transaction, and audited as one entry.
func ImportCSV(ctx context.Context, idb bun.IDB, actor audit.Actor, r io.Reader) (ImportResult, error) {
	var res ImportResult
	lines, err := parseImport(r)
	if err != nil {
		return res, err
	}
	names := make([]string, len(lines))
	actives := make([]string, len(lines))
	for i, l := range lines {
		names[i], actives[i] = l.name, l.active
	}
	var created, updated []struct {
		Name   string `bun:"name"`
		Active bool   `bun:"active"`
	}
	err = idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// New names first; a name someone else adds meanwhile is skipped here (the
		// insert waits for their commit) and updated below like any existing one.
		if err := tx.NewRaw(`INSERT INTO customers (name, active)
			SELECT u.name, coalesce(NULLIF(u.active, '')::boolean, true)
			FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS u(name, active, ord) ORDER BY u.ord
			ON CONFLICT ((lower(name))) DO NOTHING
			RETURNING name, active`, pgdialect.Array(names), pgdialect.Array(actives)).Scan(ctx, &created); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if err := tx.NewRaw(`UPDATE customers AS c SET active = u.active, updated_at = now()
			FROM (SELECT n AS name, NULLIF(a, '')::boolean AS active FROM unnest(?::text[], ?::text[]) AS x(n, a)) AS u
			WHERE lower(c.name) = lower(u.name) AND c.active <> u.active
			RETURNING c.name, c.active`, pgdialect.Array(names), pgdialect.Array(actives)).Scan(ctx, &updated); err != nil {
			return fmt.Errorf("update: %w", err)
		}
		res = ImportResult{Created: len(created), Updated: len(updated), Unchanged: len(lines) - len(created) - len(updated)}
		createdNames := make([]string, len(created))
		for i, c := range created {
			createdNames[i] = c.Name
		}
		changes := audit.Changes{}
		for _, u := range updated {
			changes.Add(u.Name, !u.Active, u.Active)
		}
		return audit.Record(ctx, tx, actor, ActionImported, "customers", map[string]any{
			"created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged,
			"created_names": createdNames, "active_changes": changes})
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("customers: import: %w", err)
	}
	return res, nil
}

// parseImport reads and checks the whole file, collecting every bad line.
func parseImport(r io.Reader) ([]importLine, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("customers: import: read: %w", err)
	}
	if len(raw) > MaxImportBytes {
		return nil, ImportError{{0, fmt.Sprintf("the file is larger than %d MB", MaxImportBytes>>20)}}
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, ImportError{{0, "the file is empty: it needs a header row with a name column and one customer per line"}}
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	if header, _, _ := bytes.Cut(raw, []byte("\n")); bytes.Count(header, []byte(";")) > bytes.Count(header, []byte(",")) {
		cr.Comma = ';' // spreadsheets in many locales save CSV with semicolons
	}
	header, err := cr.Read()
	if err != nil {
		return nil, ImportError{csvLineError(err, 1)}
	}
	nameCol, activeCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "name":
			if nameCol < 0 {
				nameCol = i
			}
		case "active":
			if activeCol < 0 {
				activeCol = i
			}
		}
	}
	if nameCol < 0 {
		return nil, ImportError{{1, fmt.Sprintf("the header row needs a column called name (found: %s)", strings.Join(header, ", "))}}
	}
	var (
		lines []importLine
		errs  ImportError
		seen  = map[string]int{} // lower-case name → line
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A broken quote leaves the rest of the file unreadable: report and stop.
			errs = append(errs, csvLineError(err, 0))
			break
		}
		line, _ := cr.FieldPos(0)
		field := func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		name, activeRaw := field(nameCol), field(activeCol)
		if !utf8.ValidString(name) || !utf8.ValidString(activeRaw) {
			errs = append(errs, LineError{line, "the text is not UTF-8: save the file as CSV UTF-8"})
			continue
		}
		if name == "" && activeRaw == "" && allBlank(rec) {
			continue // an empty row, as spreadsheets leave at the end
		}
		if msg := ValidateName(name); msg != "" {
			if name == "" {
				msg = "the name is empty"
			} else {
				msg = fmt.Sprintf("the name is longer than %d characters", MaxNameLength)
			}
			errs = append(errs, LineError{line, msg})
			continue
		}
		active, ok := parseActive(activeRaw)
		if !ok {
			errs = append(errs, LineError{line, fmt.Sprintf("active is %q: use true/false, yes/no, 1/0 or ja/nee", activeRaw)})
			continue
		}
		key := strings.ToLower(name)
		if first, dup := seen[key]; dup {
			errs = append(errs, LineError{line, fmt.Sprintf("%q is already on line %d", name, first)})
			continue
		}
		seen[key] = line
		lines = append(lines, importLine{name: name, active: active})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(lines) == 0 {
		return nil, ImportError{{0, "the file has no customers below the header row"}}
	}
	return lines, nil
}

// parseActive maps an active cell to "true", "false" or "" (empty: not given).
func parseActive(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "":
		return "", true
	case "true", "yes", "1", "ja":
		return "true", true
	case "false", "no", "0", "nee":
		return "false", true
	}
	return "", false
}

func allBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// csvLineError turns a CSV syntax error into a LineError.
func csvLineError(err error, fallbackLine int) LineError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return LineError{pe.Line, fmt.Sprintf("not valid CSV (%v)", pe.Err)}
	}
	return LineError{fallbackLine, err.Error()}
}
