//go:build race

package app

// raceEnabled: the race detector slows mail decoding several times over, so tests that
// push large mails through shrink them to stay within their timeouts.
const raceEnabled = true
