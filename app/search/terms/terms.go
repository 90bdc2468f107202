// Package terms turns what a user types into a search box into SQL conditions, one
// meaning everywhere: the global search and every list page's "q" filter use it, so a
// section of the search and the page it opens find the same rows.
//
// The rules: matching ignores case; the text is split into terms at spaces (a term in
// double quotes may hold spaces); every term must match (AND), each in at least one of
// the searched columns (OR). A term without * matches anywhere in a column; * stands
// for any text, and a term with one matches the whole column (backup* starts with
// "backup", *.local ends with ".local"). % and _ are literal.
package terms

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Bounds on what one search may ask of the database.
const (
	MaxTerms   = 8   // further terms are ignored
	MaxTermLen = 100 // runes; a longer term is cut
)

// Terms is a parsed search: one ILIKE pattern per term.
type Terms struct {
	patterns []string
	words    []string // the terms as typed (for matching in Go)
}

// Parse splits s into terms. Terms that are only * (match everything) are dropped.
func Parse(s string) Terms {
	var t Terms
	for _, w := range split(s) {
		if len(t.words) == MaxTerms {
			break
		}
		if utf8.RuneCountInString(w) > MaxTermLen {
			w = string([]rune(w)[:MaxTermLen])
		}
		if strings.Trim(w, "*") == "" {
			continue
		}
		t.words = append(t.words, w)
		t.patterns = append(t.patterns, pattern(w))
	}
	return t
}

// split cuts s at white space, keeping "quoted text" as one term.
func split(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			if end := strings.IndexByte(s[1:], '"'); end >= 0 {
				if w := strings.TrimSpace(s[1 : 1+end]); w != "" {
					out = append(out, w)
				}
				s = s[end+2:]
				continue
			}
			s = s[1:] // an unclosed quote is no quote
			continue
		}
		end := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '"' })
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// pattern is the ILIKE pattern of one term.
func pattern(w string) string {
	p := likeEscaper.Replace(w)
	if strings.Contains(w, "*") {
		return strings.ReplaceAll(p, "*", "%")
	}
	return "%" + p + "%"
}

// Empty reports whether there is nothing to search for.
func (t Terms) Empty() bool { return len(t.patterns) == 0 }

// Words returns the terms as typed (after splitting and bounding).
func (t Terms) Words() []string { return append([]string(nil), t.words...) }

// String is the search as one line again (for links that pass it on).
func (t Terms) String() string {
	out := make([]string, len(t.words))
	for i, w := range t.words {
		if strings.ContainsAny(w, " \t") {
			w = `"` + w + `"`
		}
		out[i] = w
	}
	return strings.Join(out, " ")
}

// Cond returns the condition that every term matches one of columns, with each
// pattern passed through add, which returns its placeholder ("?" for bun, "$n" for
// db.Args). A column is an SQL expression matched with ILIKE, or, when it holds {}, a
// condition of its own in which each {} stands for the pattern (text in related rows:
// "EXISTS (SELECT 1 FROM job_runs r WHERE r.job_id = j.id AND r.message ILIKE {})").
// Empty terms give "" (no condition).
func (t Terms) Cond(add func(v any) string, columns ...string) string {
	if t.Empty() || len(columns) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('(')
	for i, p := range t.patterns {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteByte('(')
		for j, col := range columns {
			if j > 0 {
				b.WriteString(" OR ")
			}
			if strings.Contains(col, "{}") {
				parts := strings.Split(col, "{}")
				for k, part := range parts {
					if k > 0 {
						b.WriteString(add(p))
					}
					b.WriteString(part)
				}
				continue
			}
			b.WriteString(col)
			b.WriteString(" ILIKE ")
			b.WriteString(add(p))
		}
		b.WriteByte(')')
	}
	b.WriteByte(')')
	return b.String()
}

// Where is Cond with bun's ? placeholders: the condition and its arguments.
func (t Terms) Where(columns ...string) (string, []any) {
	var args []any
	cond := t.Cond(func(v any) string { args = append(args, v); return "?" }, columns...)
	return cond, args
}

// Match reports whether every term matches at least one of fields, by the same rules
// as the SQL condition: for text searched in Go (pages of documentation).
func (t Terms) Match(fields ...string) bool {
	for _, w := range t.words {
		re := matcher(w)
		if !anyMatch(re, fields) {
			return false
		}
	}
	return true
}

func anyMatch(re *regexp.Regexp, fields []string) bool {
	for _, f := range fields {
		if re.MatchString(f) {
			return true
		}
	}
	return false
}

// matcher is the regular expression equivalent of pattern(w).
func matcher(w string) *regexp.Regexp {
	parts := strings.Split(w, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	expr := strings.Join(parts, ".*")
	if strings.Contains(w, "*") {
		expr = "^" + expr + "$"
	}
	return regexp.MustCompile("(?is)" + expr)
}
