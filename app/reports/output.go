package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Output formats.
const (
	FormatPDF = "pdf"
	FormatCSV = "csv"
)

// Size above which a report is built in the background rather than streamed at once.
const (
	largeCustomers = 20
	largeJobs      = 1000
)

// Size is how much a scope covers.
type Size struct {
	Customers int
	Jobs      int
}

// Large reports whether the ZIP or CSV of the scope is built in the background.
func (s Size) Large() bool { return s.Customers > largeCustomers || s.Jobs > largeJobs }

// Measure counts the customers and jobs scope covers.
func Measure(ctx context.Context, idb bun.IDB, s Scope, customers []Customer) (Size, error) {
	ids := make([]int64, len(customers))
	for i, c := range customers {
		ids[i] = c.ID
	}
	size := Size{Customers: len(customers)}
	q := jobFilter(idb.NewSelect().TableExpr("jobs AS j").Where("j.customer_id IN (?)", bun.In(nonEmpty(ids))).
		Where("j.archived_at IS NULL OR j.archived_at >= ?", s.Range.Start(s.loc())), s)
	n, err := q.Count(ctx)
	if err != nil {
		return size, fmt.Errorf("reports: measure: %w", err)
	}
	size.Jobs = int(n)
	return size, nil
}

// chunkCustomers is how many customers' figures are built at once for a ZIP: enough
// for set-based queries, few enough that memory stays flat over 1,000 customers.
const chunkCustomers = 25

// File is a rendered report.
type File struct {
	Name        string
	ContentType string
}

// Render writes scope's report in format: CSV (all runs), the PDF of a single
// customer, or a ZIP with one PDF per customer. progress, when set, is told after each
// customer (PDF) or at the end (CSV).
func Render(ctx context.Context, idb bun.IDB, s Scope, doc Document, title, format string, w io.Writer,
	progress func(done, total int)) (File, error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	base := slug(title) + "-" + s.Range.From.String()
	if s.Range.To != s.Range.From {
		base += "-to-" + s.Range.To.String()
	}
	if format == FormatCSV {
		n, err := WriteCSV(ctx, idb, s, w)
		progress(n, n)
		return File{Name: base + ".csv", ContentType: "text/csv; charset=utf-8"}, err
	}
	customers, err := Customers(ctx, idb, s)
	if err != nil {
		return File{}, err
	}
	if len(customers) == 1 {
		rs, err := Build(ctx, idb, s, customers)
		if err != nil {
			return File{}, err
		}
		progress(1, 1)
		return File{Name: base + "-" + slug(customers[0].Name) + ".pdf", ContentType: "application/pdf"}, WritePDF(w, doc, &rs[0])
	}
	zw := zip.NewWriter(w)
	names := map[string]int{}
	for start := 0; start < len(customers); start += chunkCustomers {
		if err := ctx.Err(); err != nil {
			return File{}, err
		}
		chunk := customers[start:min(start+chunkCustomers, len(customers))]
		rs, err := Build(ctx, idb, s, chunk)
		if err != nil {
			return File{}, err
		}
		pdfs, err := renderPDFs(doc, rs)
		if err != nil {
			return File{}, err
		}
		for i := range rs {
			name := slug(rs[i].Customer.Name)
			if names[name]++; names[name] > 1 {
				name += fmt.Sprintf("-%d", rs[i].Customer.ID)
			}
			// Stored, not deflated: a PDF's streams are compressed already.
			f, err := zw.CreateHeader(&zip.FileHeader{Name: base + "-" + name + ".pdf", Method: zip.Store, Modified: doc.GeneratedAt})
			if err != nil {
				return File{}, err
			}
			if _, err := f.Write(pdfs[i]); err != nil {
				return File{}, err
			}
			progress(start+i+1, len(customers))
		}
	}
	return File{Name: base + ".zip", ContentType: "application/zip"}, zw.Close()
}

// renderPDFs writes the PDFs of rs on every core: most of a PDF's time is fpdf
// preparing the embedded font, which no two documents share.
func renderPDFs(doc Document, rs []Report) ([][]byte, error) {
	out := make([][]byte, len(rs))
	errs := make([]error, len(rs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(rs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				var b bytes.Buffer
				errs[i] = WritePDF(&b, doc, &rs[i])
				out[i] = b.Bytes()
			}
		}()
	}
	for i := range rs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("reports: pdf of %s: %w", rs[i].Customer.Name, err)
		}
	}
	return out, nil
}

var nonSlug = regexp.MustCompile(`[^\p{L}\p{N}]+`)

// slug makes a file name part of a name: letters and digits (any script) joined by "-".
func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if r := []rune(s); len(r) > 60 {
		s = strings.TrimRight(string(r[:60]), "-")
	}
	if s == "" {
		return "report"
	}
	return s
}

// RenderToBuffer is Render into memory (small reports, mail attachments, files kept).
func RenderToBuffer(ctx context.Context, idb bun.IDB, s Scope, doc Document, title, format string,
	progress func(done, total int)) ([]byte, File, error) {
	var b bytes.Buffer
	f, err := Render(ctx, idb, s, doc, title, format, &b, progress)
	return b.Bytes(), f, err
}

// NewDocument is the document settings of a report generated at now.
func NewDocument(b Branding, loc *time.Location, now time.Time, show Content) Document {
	return Document{Branding: b, Loc: loc, GeneratedAt: now, Show: show}
}
