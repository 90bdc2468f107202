package parsers

import (
	"strconv"
	"strings"
	"time"
)

// Veeam writes dates in the Windows locale of the machine that sent the report
// ("Monday, 05 October 2026 21:00:00", "zaterdag 1 februari 2020 01:00:29",
// "Dienstag, 3. März 2026 22:00:10", "3/3/2026 10:00:05 PM") and never a time zone.
// Rather than a list of layouts per locale, veeamParseDateTime reads the parts it
// recognises in any order: a month name in one of the languages below, a day, a
// four-digit year, a numeric date, a clock time and AM/PM. Weekday names and filler
// words ("om", "à", "г.") are skipped.

// veeamMonths maps month names and abbreviations (lower case, no trailing dot) in
// English, Dutch, German, French, Spanish and Italian to their number.
var veeamMonths = map[string]time.Month{
	"january": 1, "jan": 1, "januari": 1, "januar": 1, "jänner": 1, "jän": 1, "janvier": 1, "janv": 1, "enero": 1, "gennaio": 1,
	"february": 2, "feb": 2, "februari": 2, "februar": 2, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "febrero": 2, "febbraio": 2,
	"march": 3, "mar": 3, "maart": 3, "mrt": 3, "märz": 3, "maerz": 3, "mär": 3, "mars": 3, "marzo": 3,
	"april": 4, "apr": 4, "avril": 4, "avr": 4, "abril": 4, "aprile": 4,
	"may": 5, "mei": 5, "mai": 5, "mayo": 5, "maggio": 5,
	"june": 6, "jun": 6, "juni": 6, "juin": 6, "junio": 6, "giugno": 6,
	"july": 7, "jul": 7, "juli": 7, "juillet": 7, "juil": 7, "julio": 7, "luglio": 7,
	"august": 8, "aug": 8, "augustus": 8, "août": 8, "aout": 8, "agosto": 8,
	"september": 9, "sep": 9, "sept": 9, "septembre": 9, "septiembre": 9, "setiembre": 9, "settembre": 9,
	"october": 10, "oct": 10, "oktober": 10, "okt": 10, "octobre": 10, "octubre": 10, "ottobre": 10,
	"november": 11, "nov": 11, "novembre": 11, "noviembre": 11,
	"december": 12, "dec": 12, "dezember": 12, "dez": 12, "décembre": 12, "decembre": 12, "déc": 12, "diciembre": 12, "dicembre": 12,
}

// veeamClock is a time of day read from a report.
type veeamClock struct{ h, m, s int }

// veeamParseClock reads "01:00:29", "1:00" or "9:03:35 PM".
func veeamParseClock(s string) (veeamClock, bool) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) == 0 || len(f) > 2 {
		return veeamClock{}, false
	}
	c, ok := veeamClockToken(f[0])
	if !ok {
		return veeamClock{}, false
	}
	if len(f) == 2 {
		if c, ok = veeamMeridiem(c, f[1]); !ok {
			return veeamClock{}, false
		}
	}
	return c, true
}

// veeamClockToken reads "hh:mm" or "hh:mm:ss" (24-hour).
func veeamClockToken(t string) (veeamClock, bool) {
	parts := strings.Split(t, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return veeamClock{}, false
	}
	var n [3]int
	for i, p := range parts {
		if len(p) == 0 || len(p) > 2 || (i > 0 && len(p) != 2) {
			return veeamClock{}, false
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return veeamClock{}, false
		}
		n[i] = v
	}
	if n[0] > 23 || n[1] > 59 || n[2] > 59 {
		return veeamClock{}, false
	}
	return veeamClock{n[0], n[1], n[2]}, true
}

// veeamMeridiem applies an "AM"/"PM" token to a 12-hour clock.
func veeamMeridiem(c veeamClock, tok string) (veeamClock, bool) {
	tok = strings.ReplaceAll(tok, ".", "")
	if tok != "am" && tok != "pm" {
		return c, false
	}
	if c.h < 1 || c.h > 12 {
		return c, false
	}
	if c.h == 12 {
		c.h = 0
	}
	if tok == "pm" {
		c.h += 12
	}
	return c, true
}

// veeamParseDateTime reads a localised date with an optional time of day, in loc.
// A numeric date is day-first ("9-1-2020", "03.03.2026", "03/03/2026") unless a part
// over 12 says otherwise or it has slashes and AM/PM, which is the US month-first form.
func veeamParseDateTime(s string, loc *time.Location) (time.Time, bool) {
	var (
		year, day  int
		month      time.Month
		clock      veeamClock
		haveClock  bool
		meridiem   string
		numeric    []string
		numericSep string
	)
	s = strings.NewReplacer(",", " ", "\u202f", " ").Replace(strings.ToLower(s))
	for _, tok := range strings.Fields(s) {
		if c, ok := veeamClockToken(tok); ok && !haveClock {
			clock, haveClock = c, true
			continue
		}
		switch strings.ReplaceAll(tok, ".", "") {
		case "am", "pm":
			meridiem = strings.ReplaceAll(tok, ".", "")
			continue
		}
		if parts, sep := veeamSplitNumericDate(tok); parts != nil && numeric == nil {
			numeric, numericSep = parts, sep
			continue
		}
		tok = strings.TrimRight(tok, ".")
		if m, ok := veeamMonths[tok]; ok && month == 0 {
			month = m
			continue
		}
		if n, err := strconv.Atoi(tok); err == nil && len(tok) <= 4 {
			switch {
			case len(tok) == 4 && year == 0:
				year = n
			case len(tok) <= 2 && day == 0:
				day = n
			}
		}
	}
	if numeric != nil {
		y, m, d, ok := veeamNumericDate(numeric, numericSep, meridiem != "")
		if !ok {
			return time.Time{}, false
		}
		year, month, day = y, time.Month(m), d
	}
	if meridiem != "" && haveClock {
		var ok bool
		if clock, ok = veeamMeridiem(clock, meridiem); !ok {
			return time.Time{}, false
		}
	}
	return veeamDate(year, month, day, clock, loc)
}

// veeamDate builds a time and rejects impossible dates (31 February) and years
// outside what a backup report can carry.
func veeamDate(year int, month time.Month, day int, c veeamClock, loc *time.Location) (time.Time, bool) {
	if year < 1990 || year > 2200 || month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	t := time.Date(year, month, day, c.h, c.m, c.s, 0, loc)
	if t.Day() != day || t.Month() != month {
		return time.Time{}, false
	}
	return t, true
}

// veeamSplitNumericDate splits "9-1-2020", "03.03.2026" or "2026/03/03" into its parts.
func veeamSplitNumericDate(tok string) ([]string, string) {
	for _, sep := range []string{"/", ".", "-"} {
		parts := strings.Split(strings.TrimRight(tok, "."), sep)
		if len(parts) != 3 {
			continue
		}
		for _, p := range parts {
			if len(p) == 0 || len(p) > 4 {
				return nil, ""
			}
			for _, r := range p {
				if r < '0' || r > '9' {
					return nil, ""
				}
			}
		}
		return parts, sep
	}
	return nil, ""
}

// veeamNumericDate orders the parts of a numeric date into year, month and day.
func veeamNumericDate(p []string, sep string, twelveHour bool) (y, m, d int, ok bool) {
	n := make([]int, 3)
	for i, s := range p {
		n[i], _ = strconv.Atoi(s)
	}
	if len(p[0]) == 4 {
		return n[0], n[1], n[2], true
	}
	// Two-digit years are refused: "21.03.35" is more likely a clock time.
	if len(p[2]) != 4 {
		return 0, 0, 0, false
	}
	y = n[2]
	switch {
	case n[0] > 12:
		d, m = n[0], n[1]
	case n[1] > 12:
		m, d = n[0], n[1]
	case sep == "/" && twelveHour:
		m, d = n[0], n[1]
	default:
		d, m = n[0], n[1]
	}
	return y, m, d, true
}

// veeamParseDuration reads Veeam's "0:09:42", "26:03:04" or "1.02:03:04" (days first).
func veeamParseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	var days int
	if i := strings.IndexByte(s, '.'); i > 0 {
		d, err := strconv.Atoi(s[:i])
		if err != nil || d < 0 || d > 3650 {
			return 0, false
		}
		days, s = d, s[i+1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || len(p) > 5 || (i > 0 && v > 59) {
			return 0, false
		}
		n[i] = v
	}
	if n[0] > 24*3650 {
		return 0, false
	}
	return time.Duration(days)*24*time.Hour + time.Duration(n[0])*time.Hour +
		time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second, true
}

// veeamSessionTimes combines the session date of the report with its "Start time",
// "End time" and "Duration" fields. The report only gives clock times, so an end
// before the start means the job ran past midnight, and a duration of a day or more
// adds whole days. Anything unreadable leaves that end nil rather than failing.
func veeamSessionTimes(sessionDate, startV, endV, durV string, loc *time.Location) (start, end *time.Time) {
	base, baseOK := veeamParseDateTime(sessionDate, loc)
	var st time.Time
	switch {
	case veeamHasDate(startV):
		t, ok := veeamParseDateTime(startV, loc)
		if !ok {
			return nil, nil
		}
		st = t
	case baseOK:
		st = base
		if c, ok := veeamParseClock(startV); ok {
			st = time.Date(base.Year(), base.Month(), base.Day(), c.h, c.m, c.s, 0, loc)
		}
	default:
		return nil, nil
	}
	start = &st
	if veeamHasDate(endV) {
		if t, ok := veeamParseDateTime(endV, loc); ok && !t.Before(st) {
			end = &t
		}
		return start, end
	}
	c, ok := veeamParseClock(endV)
	if !ok {
		if d, ok := veeamParseDuration(durV); ok {
			e := st.Add(d)
			end = &e
		}
		return start, end
	}
	e := time.Date(st.Year(), st.Month(), st.Day(), c.h, c.m, c.s, 0, loc)
	if d, ok := veeamParseDuration(durV); ok {
		e = e.Add(time.Duration(d/(24*time.Hour)) * 24 * time.Hour)
	}
	if e.Before(st) {
		e = e.Add(24 * time.Hour)
	}
	end = &e
	return start, end
}

// veeamHasDate tells a full date ("3-3-2026 22:00:05") from a bare clock time.
func veeamHasDate(s string) bool {
	for _, tok := range strings.Fields(strings.ToLower(strings.ReplaceAll(s, ",", " "))) {
		if p, _ := veeamSplitNumericDate(tok); p != nil {
			return true
		}
		tok = strings.TrimRight(tok, ".")
		if _, ok := veeamMonths[tok]; ok {
			return true
		}
		if _, err := strconv.Atoi(tok); err == nil && len(tok) == 4 {
			return true
		}
	}
	return false
}
