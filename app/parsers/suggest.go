package parsers

import (
	"regexp"
	"sort"
	"strings"
)

// A mail no parser knows becomes a job when an approver names it; its later mails are
// recognised by a subject pattern. Both are suggested from the subject: what changes
// from one mail of a stream to the next (dates, times, numbers, the status word, a
// forwarding prefix) is left out of the name and is a * in the pattern.

// varying marks a part of a subject that varies between mails of one stream.
const varying = "\x00"

var (
	subjectPrefix   = regexp.MustCompile(`(?i)^\s*(?:(?:re|aw|antw|fwd?|fw|wg|tr|doorst|rv|enc)\s*:\s*)+`)
	subjectISODate  = regexp.MustCompile(`\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?`)
	subjectNumDate  = regexp.MustCompile(`\d{4}/\d{1,2}/\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}`)
	subjectTime     = regexp.MustCompile(`(?i)\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?`)
	subjectWordDate = wordDates()
	subjectWeekday  = regexp.MustCompile(`(?i)(?:^|\b)(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s*` + varying)
	subjectStatus   = regexp.MustCompile(`(?i)(?P<pre>^|[^\p{L}\p{N}])(?:` + failedWords + `|` + warningWords + `|` + successWords + `)(?P<post>$|[^\p{L}\p{N}])`)
	subjectNumber   = regexp.MustCompile(`(?P<pre>^|[^\p{L}\p{N}])\d+(?:[.,]\d+)*%?(?P<post>$|[^\p{L}\p{N}])`)
	emptyBrackets   = regexp.MustCompile(`[\[(\{<]\s*[\])\}>]`)
	separatorRuns   = regexp.MustCompile(`\s*([-–—|/])(?:\s*[-–—:;,|/])+\s*`)
	punctuationRuns = regexp.MustCompile(`\s*([:;,])(?:\s*[-–—:;,|/])+\s*`)
	wildcardRuns    = regexp.MustCompile(`\*(?:\s*\*)+`)
)

// wordDates matches dates written with a month name next to a day or year ("03
// March 2026", "Oct 5th, 2026", "5. Oktober"), in the languages veeamMonths knows. A
// month name alone ("May") is left: it may be a word of the job's name.
func wordDates() *regexp.Regexp {
	names := make([]string, 0, len(veeamMonths))
	for n := range veeamMonths {
		names = append(names, regexp.QuoteMeta(n))
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	m := `(?:` + strings.Join(names, "|") + `)\.?`
	return regexp.MustCompile(`(?i)\d{1,2}\.?\s+` + m + `(?:\s+\d{4})?|\b` + m + `\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|\b` + m + `\s+\d{4}`)
}

// markVarying returns subject with its varying parts replaced by the varying mark.
func markVarying(subject string) string {
	s := strings.Join(strings.Fields(subject), " ")
	s = subjectPrefix.ReplaceAllString(s, varying)
	for _, re := range []*regexp.Regexp{subjectISODate, subjectNumDate, subjectWordDate, subjectTime, subjectWeekday} {
		s = re.ReplaceAllString(s, varying)
	}
	// Neighbouring words share their boundary character, so repeat until stable.
	for _, re := range []*regexp.Regexp{subjectStatus, subjectNumber} {
		for next := re.ReplaceAllString(s, "${pre}"+varying+"${post}"); next != s; next = re.ReplaceAllString(s, "${pre}"+varying+"${post}") {
			s = next
		}
	}
	return s
}

// SuggestedJobName names the job of a mail no parser knows after its subject, without
// what varies between its mails: "[Failed] Nightly backup nas01 - 2026-03-03 22:00"
// gives "Nightly backup nas01".
func SuggestedJobName(subject string) string {
	s := strings.ReplaceAll(markVarying(subject), varying, " ")
	for next := emptyBrackets.ReplaceAllString(s, " "); next != s; next = emptyBrackets.ReplaceAllString(s, " ") {
		s = next
	}
	s = separatorRuns.ReplaceAllString(s, " $1 ")
	s = punctuationRuns.ReplaceAllString(s, "$1 ")
	s = strings.Trim(strings.Join(strings.Fields(s), " "), " -–—:;,.|/#")
	if s == "" {
		s = strings.TrimSpace(subject)
	}
	return s
}

// SuggestedSubjectPattern is the pattern (* is any text) that recognises the later mails
// of a stream from one of its subjects: "[Failed] Nightly backup nas01 - 2026-03-03
// 22:00" gives "[*] Nightly backup nas01 - *". When nothing but varying parts is left,
// the subject itself is the pattern.
func SuggestedSubjectPattern(subject string) string {
	s := strings.ReplaceAll(markVarying(subject), varying, "*")
	s = strings.TrimSpace(wildcardRuns.ReplaceAllString(s, "*"))
	if strings.Trim(s, "* ") == "" {
		return strings.Join(strings.Fields(subject), " ")
	}
	return s
}
