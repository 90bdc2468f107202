package schedule

import (
	"slices"
	"time"

	"github.com/backupchecks/backupchecks/db"
)

// How Learn reads a job's history. Everything is in local dates of the UI timezone.
//
//   - Time of day: the circular median of the local times of the last 15 runs (23:50
//     and 00:10 are one slot around midnight; the last runs only, so a job moved to
//     another time is followed after about 8 runs), rounded to 5 minutes.
//   - Slot days: a run belongs to the date whose expected time is within 12 hours of
//     it, so a 23:55 job that ran at 00:10 ran for the day before. This is the same
//     window GenerateMissedRuns uses.
//   - Daily and weekly: per weekday, "on" when it ran on that weekday in most (more
//     than half) of the weeks seen. Weeks (7-day blocks back from today) without any
//     run are holidays or outages and are left out, so a week off does not make a
//     daily job irregular. All seven on is Daily (needs 7 days seen and 5 days with
//     runs); a subset is Weekly (needs 2 weeks and each day seen twice); 80% of the
//     days with runs must fall on the chosen days. The last 3 weeks decide when each
//     of them has runs (so a changed schedule is followed after three weeks); the
//     last 90 days, of which 70% of the weeks must have runs (so every other week is
//     not weekly), decide when the recent weeks are not conclusive, or when they
//     explain the last 3 weeks about as well (one-off misses in the recent weeks).
//   - Monthly (180 days, no week is left out): days of the month, picked greedily (a
//     day is added while it explains new runs and ran in half of its months; 31 also
//     covers shorter months' last day), or the nth/last weekday of the month; needs
//     runs in 3 months, 60% of the expected dates hit and 80% of the runs explained.
//   - Otherwise Irregular, or None while there are fewer than 4 days with runs or
//     fewer than 28 days of history.
//
// The cadence guard (hysteresis): Learn is given the previous learned schedule. A
// different pattern replaces it only when its fit on the same evidence is better by
// more than 0.05 (fit = F1 of days expected vs days with runs: 2·hits / (expected days
// + days with runs)); Irregular or None replace it only when its fit over the long
// window has dropped below 0.5, since a job that stops running on its schedule should
// show Missed runs, not quietly become irregular. The time of day is kept when the new
// one is within 15 minutes of it. So a job that ran daily for a week and then weekly
// stays Daily until three weekly weeks make Weekly clearly better, and then stays
// Weekly.
const (
	// HistoryDays is how far back Learn looks (the monthly window); Relearn reads
	// this much history.
	HistoryDays = 180

	recentDays       = 21
	weeklyDays       = 90
	timeRuns         = 15
	dailyMinRunDays  = 5
	recentActive     = 1.0 // share of the recent weeks that must have runs
	longActive       = 0.7 // the same for the 90 days
	minPrecision     = 0.8
	monthlyMinRecall = 0.6
	monthlyMinHits   = 3
	irregularMinDays = 4
	irregularMinSpan = 28
	switchMargin     = 0.05
	keepFit          = 0.5
	keepTimeMinutes  = 15
)

// Learn learns a schedule from a job's real runs (not missed runs; runs outside the
// last HistoryDays before now are ignored), in loc, given the previous learned
// schedule (nil if none). Pure: the same input gives the same schedule. The rules are
// above.
func Learn(runs []time.Time, loc *time.Location, now time.Time, prev *db.Schedule) db.Schedule {
	nowLocal := wallClock(now.In(loc))
	from := nowLocal.AddDate(0, 0, -HistoryDays)
	var local []time.Time
	for _, r := range runs {
		l := wallClock(r.In(loc))
		if !l.Before(from) && !l.After(nowLocal) {
			local = append(local, l)
		}
	}
	today := DateOf(nowLocal)
	if len(local) == 0 {
		return db.Schedule{Kind: db.ScheduleNone, Window: HistoryDays}
	}
	slices.SortFunc(local, time.Time.Compare)

	minute := typicalMinute(local)
	e := newEvidence(local, nowLocal, minute)

	cand, start, gaps := e.candidate()
	cand.Time = formatClock(minute)
	cand.Since = today.String()

	if prev != nil && prev.Expects() && !prev.SamePattern(cand) && e.keepPrevious(*prev, cand, start, gaps) {
		kept := *prev
		kept.Time = cand.Time
		cand = kept
	}
	if prev != nil && prev.SamePattern(cand) {
		if prev.Since != "" {
			cand.Since = prev.Since
		}
		if pm, err := clockMinutes(prev.Time); err == nil && circularDistance(pm, minute) <= keepTimeMinutes {
			cand.Time = prev.Time
		}
	}
	if !cand.Expects() {
		cand.Time, cand.Since = "", ""
	}
	cand.Occurrences, cand.Window = e.occurrences(start)
	return cand
}

// keepPrevious applies the cadence guard: whether prev should stay rather than cand.
func (e *evidence) keepPrevious(prev, cand db.Schedule, start int, gaps bool) bool {
	if cand.Expects() {
		return e.fit(cand, start, gaps) <= e.fit(prev, start, gaps)+switchMargin
	}
	if prev.Kind == db.ScheduleDaily || prev.Kind == db.ScheduleWeekly {
		return e.fit(prev, max(e.end-weeklyDays+1, e.first), true) >= keepFit
	}
	return e.fit(prev, max(e.end-HistoryDays+1, e.first), false) >= keepFit
}

// wallClock returns t's local wall-clock reading as a UTC time, so calendar
// arithmetic on it ignores DST.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func clockMinutes(s string) (int, error) {
	h, m, err := db.ParseClock(s)
	return h*60 + m, err
}

func circularDistance(a, b int) int {
	d := (a - b + 1440) % 1440
	return min(d, 1440-d)
}

// typicalMinute returns the circular median of the minutes of the day of the last
// runs (sorted by time), rounded to 5 minutes.
func typicalMinute(local []time.Time) int {
	var mins []int
	for _, l := range local[max(len(local)-timeRuns, 0):] {
		mins = append(mins, l.Hour()*60+l.Minute())
	}
	return (circularMedian(mins) + 2) / 5 * 5 % 1440
}

// circularMedian cuts the 24-hour circle at the largest gap between run times and
// takes the median of the times laid out from there, so times on both sides of
// midnight make one cluster. Of an even number it takes the upper middle, a real run
// time rather than a mean between two clusters.
func circularMedian(mins []int) int {
	s := slices.Clone(mins)
	slices.Sort(s)
	n := len(s)
	cut, gap := 0, s[0]+1440-s[n-1] // the gap across midnight, before s[0]
	for i := 1; i < n; i++ {
		if g := s[i] - s[i-1]; g > gap {
			cut, gap = i, g
		}
	}
	unrolled := make([]int, n)
	for i := range n {
		v := s[(cut+i)%n]
		if cut+i >= n {
			v += 1440
		}
		unrolled[i] = v
	}
	return unrolled[n/2] % 1440
}

// evidence is a job's history as days with runs, indexed by day number (days since
// 1970-01-01 in local wall-clock time).
type evidence struct {
	base, first, end int // first index of the arrays, the first slot day with a run, the last day counted
	ran              []bool
	wd, dom, last    []int // per day: ISO weekday, day of month, days in the month
	month            []int // per day: year*12 + month
	blockActive      []bool
}

func dayNumber(t time.Time) int { return int(t.Unix() / 86400) }

func newEvidence(local []time.Time, nowLocal time.Time, minute int) *evidence {
	// A run belongs to the day whose slot (at minute) is within 12 hours of it.
	shift := time.Duration(12*60-minute) * time.Minute
	end := dayNumber(nowLocal.Add(shift))
	e := &evidence{base: end - HistoryDays, first: end + 1, end: end}
	n := end - e.base + 1
	e.ran = make([]bool, n)
	for _, l := range local {
		d := dayNumber(l.Add(shift))
		if d >= e.base && d <= end {
			e.ran[d-e.base] = true
			e.first = min(e.first, d)
		}
	}
	// Today counts only once it has a run: its slot may still be ahead.
	if !e.ran[end-e.base] {
		e.end--
	}
	e.wd, e.dom, e.last, e.month = make([]int, n), make([]int, n), make([]int, n), make([]int, n)
	for i := range n {
		t := time.Unix(int64(e.base+i)*86400, 0).UTC()
		d := DateOf(t)
		e.wd[i], e.dom[i], e.last[i], e.month[i] = d.ISOWeekday(), d.Day, d.MonthLastDay(), d.Year*12+int(d.Month)
	}
	e.blockActive = make([]bool, (n+6)/7+1)
	for d := e.base; d <= e.end; d++ {
		if e.ran[d-e.base] {
			e.blockActive[e.block(d)] = true
		}
	}
	return e
}

// block numbers 7-day blocks back from the last counted day (0 = the latest week).
func (e *evidence) block(d int) int { return (e.end - d) / 7 }

func (e *evidence) has(d int) bool { return e.ran[d-e.base] }

func (e *evidence) matches(s db.Schedule, d int) bool {
	i := d - e.base
	return matches(s, e.wd[i], e.dom[i], e.last[i])
}

// fit is the F1 score of s against the days with runs from start to end:
// 2·hits / (expected days + days with runs); gaps leaves out weeks without runs.
func (e *evidence) fit(s db.Schedule, start int, gaps bool) float64 {
	hits, expected, runDays := 0, 0, 0
	for d := start; d <= e.end; d++ {
		if gaps && !e.blockActive[e.block(d)] {
			continue
		}
		m, r := e.matches(s, d), e.has(d)
		if m {
			expected++
		}
		if r {
			runDays++
		}
		if m && r {
			hits++
		}
	}
	if expected+runDays == 0 {
		return 0
	}
	return 2 * float64(hits) / float64(expected+runDays)
}

func (e *evidence) occurrences(start int) (runDays, span int) {
	for d := start; d <= e.end; d++ {
		if e.has(d) {
			runDays++
		}
	}
	return runDays, max(e.end-start+1, 0)
}

// candidate returns the pattern the evidence shows (without the cadence guard), the
// first day of the evidence it rests on, and whether weeks without runs were left out.
func (e *evidence) candidate() (db.Schedule, int, bool) {
	r, rStart, rOK := e.weeklyFamily(recentDays, recentActive)
	l, lStart, lOK := e.weeklyFamily(weeklyDays, longActive)
	switch {
	case rOK && lOK:
		// The longer evidence wins unless the recent weeks clearly say otherwise.
		if l.SamePattern(r) || e.fit(l, rStart, true) >= e.fit(r, rStart, true)-switchMargin {
			return l, lStart, true
		}
		return r, rStart, true
	case rOK:
		return r, rStart, true
	case lOK:
		return l, lStart, true
	}
	if m, mStart, ok := e.monthly(); ok {
		return m, mStart, false
	}
	start := max(e.end-HistoryDays+1, e.first)
	if runDays, span := e.occurrences(start); runDays >= irregularMinDays && span >= irregularMinSpan {
		return db.Schedule{Kind: db.ScheduleIrregular}, start, false
	}
	return db.Schedule{Kind: db.ScheduleNone}, start, false
}

// weeklyFamily looks for Daily or Weekly in the last window days, of whose weeks at
// least the share active must have runs.
func (e *evidence) weeklyFamily(window int, active float64) (db.Schedule, int, bool) {
	start := max(e.end-window+1, e.first)
	span := e.end - start + 1
	if span < 7 {
		return db.Schedule{}, start, false
	}
	blocks := (span + 6) / 7
	withRuns := 0
	for b := range blocks {
		if e.blockActive[b] {
			withRuns++
		}
	}
	if float64(withRuns) < active*float64(blocks) {
		return db.Schedule{}, start, false
	}
	var seen, ran [8]int
	runDays := 0
	for d := start; d <= e.end; d++ {
		if !e.blockActive[e.block(d)] {
			continue
		}
		wd := e.wd[d-e.base]
		seen[wd]++
		if e.has(d) {
			ran[wd]++
			runDays++
		}
	}
	var on []int
	explained := 0
	for wd := 1; wd <= 7; wd++ {
		if seen[wd] > 0 && 2*ran[wd] > seen[wd] {
			on = append(on, wd)
			explained += ran[wd]
		}
	}
	if len(on) == 0 || float64(explained) < minPrecision*float64(runDays) {
		return db.Schedule{}, start, false
	}
	if len(on) == 7 {
		return db.Schedule{Kind: db.ScheduleDaily}, start, runDays >= dailyMinRunDays
	}
	if span < 14 {
		return db.Schedule{}, start, false
	}
	for _, wd := range on {
		if ran[wd] < 2 {
			return db.Schedule{}, start, false
		}
	}
	return db.Schedule{Kind: db.ScheduleWeekly, Weekdays: on}, start, true
}

// monthly looks for days of the month or an nth weekday in the last HistoryDays.
func (e *evidence) monthly() (db.Schedule, int, bool) {
	start := max(e.end-HistoryDays+1, e.first)
	runDays := 0
	months := map[int]bool{}
	// Per day of month d (1…31): the dates it expects and the days with runs among them.
	var expected [32]int
	hitDays := make([][]int, 32)
	// Per nth (1…5, 6 = last) and weekday: expected dates and hits.
	var nthExpected, nthHits [7][8]int
	for d := start; d <= e.end; d++ {
		i := d - e.base
		dom, last, wd, r := e.dom[i], e.last[i], e.wd[i], e.has(d)
		if r {
			runDays++
			months[e.month[i]] = true
		}
		// Day md expects this date when min(md, last) == dom: md == dom, or any md
		// beyond the month's end on its last day.
		hi := dom
		if dom == last {
			hi = 31
		}
		for md := dom; md <= hi; md++ {
			expected[md]++
			if r {
				hitDays[md] = append(hitDays[md], d)
			}
		}
		nth := (dom-1)/7 + 1
		nthExpected[nth][wd]++
		if r {
			nthHits[nth][wd]++
		}
		if dom+7 > last {
			nthExpected[6][wd]++
			if r {
				nthHits[6][wd]++
			}
		}
	}
	if runDays < monthlyMinHits || len(months) < 3 {
		return db.Schedule{}, start, false
	}

	// Days of the month, greedily: the day that explains most runs not yet explained.
	explained := map[int]bool{}
	var days []int
	for {
		best, bestNew := 0, 0
		for md := 1; md <= 31; md++ {
			if slices.Contains(days, md) || 2*len(hitDays[md]) < expected[md] {
				continue
			}
			n := 0
			for _, d := range hitDays[md] {
				if !explained[d] {
					n++
				}
			}
			if n > bestNew {
				best, bestNew = md, n
			}
		}
		if bestNew < monthlyMinHits {
			break
		}
		days = append(days, best)
		for _, d := range hitDays[best] {
			explained[d] = true
		}
	}
	slices.Sort(days)

	var found db.Schedule
	bestFit := 0.0
	consider := func(s db.Schedule, hits, exp int) {
		if hits < monthlyMinHits || float64(hits) < monthlyMinRecall*float64(exp) ||
			float64(hits) < minPrecision*float64(runDays) {
			return
		}
		if f := 2 * float64(hits) / float64(exp+runDays); f > bestFit {
			found, bestFit = s, f
		}
	}
	if len(days) > 0 {
		s := db.Schedule{Kind: db.ScheduleMonthlyDays, MonthDays: days}
		hits, exp := 0, 0
		for d := start; d <= e.end; d++ {
			if e.matches(s, d) {
				exp++
				if e.has(d) {
					hits++
				}
			}
		}
		consider(s, hits, exp)
	}
	for nth := 1; nth <= 6; nth++ {
		for wd := 1; wd <= 7; wd++ {
			n := nth
			if nth == 6 {
				n = db.ScheduleLastWeek
			}
			consider(db.Schedule{Kind: db.ScheduleMonthlyNth, Nth: n, NthWeekday: wd}, nthHits[nth][wd], nthExpected[nth][wd])
		}
	}
	return found, start, found.Kind != ""
}
