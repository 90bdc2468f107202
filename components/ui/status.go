package ui

// Statuses are the run statuses the pages show, worst first, and Daily Jobs' computed
// "Expected" (a slot whose time has not come yet).
var Statuses = []string{"Failed", "Missed", "Warning", "Success", "Info", "Expected"}

// statusClasses is the one colour of each status: every status badge on every page
// takes its class from here (StatusClass), so a status looks the same wherever it is.
var statusClasses = map[string]string{
	"Success":  "text-bg-success",
	"Warning":  "text-bg-warning",
	"Failed":   "text-bg-danger",
	"Missed":   "text-bg-dark",
	"Info":     "text-bg-info",
	"Expected": "text-bg-light border",
}

// StatusClass is the Bootstrap badge class of a status; an unknown one is neutral.
func StatusClass(s string) string {
	if c, ok := statusClasses[s]; ok {
		return c
	}
	return "text-bg-secondary"
}

// RunBadge is the class and label of a run's status badge: its effective status, with
// "(override)" when an override set it. The colour is the status's own.
func RunBadge(status string, overridden bool) (class, label string) {
	label = status
	if overridden {
		label += " (override)"
	}
	return StatusClass(status), label
}
