package ui

// StatusClass is the Bootstrap badge class of a run status.
func StatusClass(s string) string {
	switch s {
	case "Success":
		return "text-bg-success"
	case "Warning":
		return "text-bg-warning"
	case "Failed":
		return "text-bg-danger"
	case "Missed":
		return "text-bg-dark"
	case "Info":
		return "text-bg-info"
	}
	return "text-bg-light border"
}
