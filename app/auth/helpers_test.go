package auth_test

import (
	"fmt"
	"strconv"
)

func fmtSscanf(q string, a, b *int) (int, error) { return fmt.Sscanf(q, "What is %d + %d?", a, b) }
func itoa(n int) string                          { return strconv.Itoa(n) }
