package ingest

import (
	"time"

	bcmail "github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
)

// parserMail is what the parsers see of a decoded mail. received is when the mailbox
// got it; when zero, the Date header stands in.
func parserMail(d *bcmail.Decoded, received time.Time) *parsers.Mail {
	if received.IsZero() {
		received = d.Date
	}
	m := &parsers.Mail{
		From:            d.From,
		Subject:         d.Subject,
		Text:            d.Text,
		HTML:            d.HTML,
		Received:        received,
		Date:            d.Date,
		DateZoneUnknown: d.DateZoneUnknown,
	}
	for _, a := range d.Attachments {
		m.Attachments = append(m.Attachments, parsers.Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: a.Data})
	}
	return m
}
