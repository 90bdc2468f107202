package ingest

import (
	"time"

	bcmail "github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
)

// Trial is how the registry reads one raw mail, for the playground and `parse`.
type Trial struct {
	From    string         `json:"from,omitempty"`
	Subject string         `json:"subject,omitempty"`
	Result  parsers.Result `json:"result"`
}

// TryParsers decodes raw and runs the registry over it without storing anything. A
// mail that cannot be decoded gives a result with the decoding error.
func TryParsers(reg *parsers.Registry, raw []byte, now time.Time) Trial {
	dec, err := bcmail.Decode(raw)
	if err != nil {
		return Trial{Result: parsers.Result{Error: "cannot decode this mail: " + err.Error(), Tried: []parsers.Attempt{}}}
	}
	received := dec.Date
	if received.IsZero() {
		received = now
	}
	return Trial{From: dec.From, Subject: dec.Subject, Result: reg.Parse(parserMail(dec, received))}
}
