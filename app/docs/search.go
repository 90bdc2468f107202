package docs

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Hit is a page that matches a search.
type Hit struct {
	Title   string // the page's title
	Section string // its section's title
	// Link is the page, at the heading under which the first term is found.
	Link    string
	Snippet string // the text around that place, one line
}

// Bounds on one search, as for every search box of the app.
const (
	maxTerms   = 8
	maxTermLen = 100 // runes
	snippetLen = 160 // runes, about
)

// Search finds the pages that match q, best first, and returns how many match and the
// hits from offset (0-based), at most limit. The rules are the app's search-box rules:
// case is ignored; terms are split at spaces ("quoted words" are one term); every term
// must match (AND), in the title or the text (OR); a term without * matches anywhere;
// * stands for any text within a word, and a term with one must match a whole word
// (backup* finds "backups", *.eml finds ".eml"). Pages whose title matches come first.
func Search(q string, limit, offset int) (total int, hits []Hit) {
	return SearchIn(q, limit, offset, nil)
}

// SearchIn is Search over the pages open says may be shown (nil: every page), for a
// visitor who may read only some of them.
func SearchIn(q string, limit, offset int, open func(path string) bool) (total int, hits []Hit) {
	terms := parseTerms(q)
	if len(terms) == 0 {
		return 0, nil
	}
	type scored struct {
		p     *Page
		score int
		order int
	}
	var found []scored
	for i, p := range Pages() {
		if open != nil && !open(p.Path) {
			continue
		}
		score, ok := 0, true
		for _, t := range terms {
			inTitle := t.matchText(strings.ToLower(p.Title), p.Title)
			if !inTitle && !t.matchPage(p) {
				ok = false
				break
			}
			if inTitle {
				score += 1000
			}
			score += t.count(p)
		}
		if ok {
			found = append(found, scored{p, score, i})
		}
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].score != found[j].score {
			return found[i].score > found[j].score
		}
		return found[i].order < found[j].order
	})
	total = len(found)
	if offset < 0 {
		offset = 0
	}
	for i := offset; i < len(found) && len(hits) < limit; i++ {
		p := found[i].p
		link, snippet := where(p, terms)
		hits = append(hits, Hit{Title: p.Title, Section: p.SectionTitle, Link: link, Snippet: snippet})
	}
	return total, hits
}

// term is one search term.
type term struct {
	lower string         // without a *: the text to find
	word  *regexp.Regexp // with a *: what a whole word must be
}

func parseTerms(q string) []term {
	var out []term
	for _, w := range splitQuery(q) {
		if len(out) == maxTerms {
			break
		}
		if utf8.RuneCountInString(w) > maxTermLen {
			w = string([]rune(w)[:maxTermLen])
		}
		if strings.Trim(w, "*") == "" {
			continue
		}
		if !strings.Contains(w, "*") {
			out = append(out, term{lower: strings.ToLower(w)})
			continue
		}
		parts := strings.Split(w, "*")
		for i, part := range parts {
			parts[i] = regexp.QuoteMeta(part)
		}
		out = append(out, term{word: regexp.MustCompile(`(?is)^` + strings.Join(parts, `.*`) + `$`)})
	}
	return out
}

// splitQuery cuts q at white space, keeping "quoted text" as one term (an unclosed
// quote is no quote).
func splitQuery(s string) []string {
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
			s = s[1:]
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

// matchText reports whether the term is in a text (given lower-cased and as is).
func (t term) matchText(lower, text string) bool {
	if t.word == nil {
		return strings.Contains(lower, t.lower)
	}
	if t.word.MatchString(text) {
		return true
	}
	for _, w := range strings.Fields(text) {
		if t.word.MatchString(trimWord(w)) {
			return true
		}
	}
	return false
}

// matchPage reports whether the term is in the page's title or text.
func (t term) matchPage(p *Page) bool {
	if t.word == nil {
		return strings.Contains(p.lower, t.lower)
	}
	for w := range p.words {
		if t.word.MatchString(w) {
			return true
		}
	}
	return false
}

// count weighs how often the term occurs (capped, so that a long page does not win
// by length alone).
func (t term) count(p *Page) int {
	n := 0
	if t.word == nil {
		n = strings.Count(p.lower, t.lower)
	} else {
		for w := range p.words {
			if t.word.MatchString(w) {
				n++
			}
		}
	}
	return min(n, 20)
}

// where finds the place to show: the first stretch of text (under one heading) in
// which every term occurs, else the first in which the first term does; it returns
// the link to that heading and the text around the first term there.
func where(p *Page, terms []term) (link, snippet string) {
	best, at := -1, -1
	for i, b := range p.blocks {
		pos := terms[0].index(b.text)
		if pos < 0 {
			continue
		}
		all := true
		for _, t := range terms[1:] {
			if t.index(b.text) < 0 {
				all = false
				break
			}
		}
		if all {
			best, at = i, pos
			break
		}
		if best < 0 {
			best, at = i, pos
		}
	}
	if best < 0 {
		return p.Path, p.Summary
	}
	b := p.blocks[best]
	link = p.Path
	if b.anchor != "" {
		link += "#" + b.anchor
	}
	return link, around(b.text, at)
}

// index is the byte offset of the term's first occurrence in text, or -1.
func (t term) index(text string) int {
	if t.word == nil {
		return strings.Index(strings.ToLower(text), t.lower)
	}
	pos := 0
	for _, w := range strings.Fields(text) {
		i := strings.Index(text[pos:], w)
		if t.word.MatchString(trimWord(w)) {
			return pos + i
		}
		pos += i + len(w)
	}
	return -1
}

// around returns about snippetLen runes of text around byte offset at, cut at spaces
// (text is one line: a block's words joined by single spaces).
func around(text string, at int) string {
	start := max(0, at-snippetLen/3)
	if start > 0 {
		if i := strings.IndexByte(text[start:], ' '); i >= 0 && start+i < at {
			start += i + 1
		}
	}
	end := min(len(text), start+snippetLen)
	if end < len(text) {
		if i := strings.LastIndexByte(text[start:end], ' '); i > 0 {
			end = start + i
		}
	}
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	s := text[start:end]
	if start > 0 {
		s = "…" + s
	}
	if end < len(text) {
		s += "…"
	}
	return s
}
