package terms

import (
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestTermsMatch: the wildcard and escaping rules, checked in PostgreSQL (the ILIKE
// condition every page uses) and in Go (Match), which must agree.
func TestTermsMatch(t *testing.T) {
	d := dbtest.New(t)
	cases := []struct {
		query string
		texts []string // the searched columns of one row
		want  bool
	}{
		{"veeam", []string{"Veeam Backup & Replication"}, true},
		{"VEEAM", []string{"veeam backup"}, true},                  // case-insensitive
		{"backup", []string{"Nightly backup job"}, true},           // no *: anywhere
		{"backup*", []string{"Nightly backup job"}, false},         // *: the whole column
		{"backup*", []string{"Backup job nightly"}, true},          // starts with
		{"*nightly", []string{"Backup job nightly"}, true},         // ends with
		{"*nightly", []string{"Backup nightly job"}, false},        //
		{"b*p", []string{"Backup"}, true},                          // inner *
		{"b*p", []string{"Backups"}, false},                        //
		{"*job*", []string{"Backup job nightly"}, true},            // both ends: anywhere
		{"acme nightly", []string{"Acme", "Nightly copy"}, true},   // AND over terms, OR over columns
		{"acme nightly", []string{"Acme", "Weekly copy"}, false},   // a term in no column
		{"acme nightly", []string{"Acme nightly", ""}, true},       // both in one column
		{"100%", []string{"Progress 100% done"}, true},             // % is literal
		{"100%", []string{"Progress 1000 done"}, false},            //
		{"a_b", []string{"file a_b.txt"}, true},                    // _ is literal
		{"a_b", []string{"file axb.txt"}, false},                   //
		{`C:\Backup`, []string{`copied C:\Backup\x`}, true},        // backslash is literal
		{`C:\Backup`, []string{`C:Backup`}, false},                 //
		{"*", []string{"anything"}, true},                          // only *: no condition
		{`"disk full"`, []string{"Error: disk full on D:"}, true},  // quoted phrase
		{`"disk full"`, []string{"disk is full"}, false},           //
		{`disk full`, []string{"disk is full"}, true},              // unquoted: two terms
		{"ünïcode", []string{"ÜNÏCODE name"}, true},                // non-ASCII case
		{"  spaced   out ", []string{"spaced", "out"}, true},       // extra blanks
		{"nomatch", []string{"", "something else"}, false},         //
		{"%", []string{"abc"}, false},                              // a lone % is a percent sign
		{"_", []string{"a_b"}, true},                               //
		{"x' OR '1'='1", []string{"x' OR '1'='1 in a name"}, true}, // quotes are data
		{"x' OR '1'='1", []string{"nothing like it"}, false},       //
	}
	for _, tc := range cases {
		tm := Parse(tc.query)
		if got := tm.Match(tc.texts...); got != tc.want {
			t.Errorf("Go: %q on %q = %v, want %v", tc.query, tc.texts, got, tc.want)
		}
		cols := make([]string, len(tc.texts))
		var args []any
		values := make([]string, len(tc.texts))
		for i, txt := range tc.texts {
			cols[i] = "v.c" + string(rune('0'+i))
			values[i] = "?::text AS c" + string(rune('0'+i))
			args = append(args, txt)
		}
		cond, condArgs := tm.Where(cols...)
		if cond == "" {
			cond = "true"
		}
		var got bool
		q := "SELECT EXISTS (SELECT 1 FROM (SELECT " + strings.Join(values, ", ") + ") v WHERE " + cond + ")"
		if err := d.Bun.NewRaw(q, append(args, condArgs...)...).Scan(t.Context(), &got); err != nil {
			t.Fatalf("%q: %v", tc.query, err)
		}
		if got != tc.want {
			t.Errorf("SQL: %q on %q = %v, want %v (%s)", tc.query, tc.texts, got, tc.want, cond)
		}
	}
}

func TestParseBounds(t *testing.T) {
	tm := Parse(strings.Repeat("a ", 20))
	if n := len(tm.Words()); n != MaxTerms {
		t.Fatalf("%d terms kept, want %d", n, MaxTerms)
	}
	long := Parse(strings.Repeat("é", 500))
	if w := long.Words()[0]; len([]rune(w)) != MaxTermLen {
		t.Fatalf("a long term kept %d runes", len([]rune(w)))
	}
	if !Parse("  * ** ").Empty() || !Parse("").Empty() || !Parse(`""`).Empty() {
		t.Fatal("wildcards and blanks alone must search for nothing")
	}
	if got := Parse(`acme  "disk full" x*`).String(); got != `acme "disk full" x*` {
		t.Fatalf("String() = %q", got)
	}
	cond, args := Parse("a b").Where("x", "y")
	if cond != "((x ILIKE ? OR y ILIKE ?) AND (x ILIKE ? OR y ILIKE ?))" || len(args) != 4 {
		t.Fatalf("Where = %s %v", cond, args)
	}
	cond, args = Parse("a").Where("x", "EXISTS (SELECT 1 FROM t WHERE t.y ILIKE {} OR t.z ILIKE {})")
	if cond != "((x ILIKE ? OR EXISTS (SELECT 1 FROM t WHERE t.y ILIKE ? OR t.z ILIKE ?)))" || len(args) != 3 {
		t.Fatalf("Where with a condition column = %s %v", cond, args)
	}
	var n int
	numbered := Parse("a").Cond(func(any) string { n++; return "$" + string(rune('0'+n)) }, "x", "y")
	if numbered != "((x ILIKE $1 OR y ILIKE $2))" {
		t.Fatalf("Cond = %s", numbered)
	}
}
