package ingest

import "mime"

// mimeWordDecoder decodes RFC 2047 encoded words, keeping the raw text on failure.
type mimeWordDecoder struct{ mime.WordDecoder }

func (d *mimeWordDecoder) decode(s string) string {
	out, err := d.DecodeHeader(s)
	if err != nil {
		return s
	}
	return out
}
