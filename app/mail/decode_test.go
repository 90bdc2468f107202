package mail

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecode(t *testing.T) {
	mails := fixtures(t)
	type file struct{ name, contentType string }
	for _, tc := range []struct {
		file          string
		from          string
		fromName      string
		subject       string
		messageID     string
		date          string // RFC 3339, "" for zero
		text          []string
		notText       []string
		html          []string // "" entries: HTML must be empty
		noHTML        bool
		attachments   []file
		inline        []string // content IDs
		errorContains string
	}{
		{
			file: "plain-ascii.eml", from: "nas01@example.com", fromName: "NAS01 DiskStation",
			subject:   "[NAS01] Data backup task HB_OFFSITE completed",
			messageID: "20251205000719.1234@nas01.example.com", date: "2025-12-05T01:07:19+01:00",
			text:   []string{"Your backup task HB_OFFSITE is now complete.\n\nBackup Task: HB_OFFSITE\n", "- Shared Folder: 367.3 GB"},
			noHTML: true,
		},
		{
			file: "qp-html-alternative.eml", from: "veeam@example.com", fromName: "Veeam Backup",
			subject: "[Success] Daily-Files (1 machines)", messageID: "a1b2c3d4e5f6.veeam@srv-example01.example.com",
			date: "2025-10-06T22:14:41+02:00",
			text: []string{"SRV-EXAMPLE01   Success  22:00:00    22:14:30  120,4 GB\n", "12.1.2.172 \u2013 generated"},
			// Soft line breaks joined, =3D decoded.
			html:    []string{`<td style="width: 80%;border: none;background-color: #00B050;color: White;font-weight: bold;font-size: 16px;font-family: Tahoma;">Backup job: Daily-Files`},
			notText: []string{"=3D", "=\n", "\r"},
		},
		{
			file: "iso-8859-1.eml", from: "nas@example.com", fromName: "NAS-EXAMPLE01",
			subject:   "NAS-EXAMPLE01 : La tâche de sauvegarde AB_EXAMPLE06 est terminée",
			messageID: "latin1-0001@nas-example01.example.com", date: "2025-12-04T22:05:40+01:00",
			text:   []string{"La tâche de sauvegarde AB_EXAMPLE06 sur NAS-EXAMPLE01 est terminée.", "Taille transférée : 7.6 GB", "Liste des périphériques : PC-EXAMPLE06"},
			noHTML: true,
		},
		{
			file: "windows-1252.eml", from: "backup@example.com", fromName: "Service de sauvegarde – Exemple",
			subject: "“Sauvegarde quotidienne” réussie", messageID: "cp1252-0001@example.com", date: "2025-12-04T23:00:00+01:00",
			text: []string{"Rapport “Sauvegarde quotidienne” : l’opération a réussi.", "Coût estimé du stockage : 12 €"},
			html: []string{"<p>Rapport “Sauvegarde quotidienne”"},
		},
		{
			// No text part: Text is rendered from the HTML.
			file: "html-only.eml", from: "veeam@example.com",
			subject:   "[Warning] SRV-EXAMPLE02 - Agent-Daily - Monday, 05 October 2026 21:03:35",
			messageID: "html-only-0001@example.com", date: "2026-10-05T11:03:36-07:00",
			text:    []string{"Backup job: Agent-Daily", "Warning", "SRV-EXAMPLE02 Warning 22:00:00 22:14:30 120,4 GB"},
			notText: []string{"<td", "style="},
			html:    []string{"<table", "SRV-EXAMPLE02"},
		},
		{
			file: "gmail-forward.eml", from: "forwarder@example.com", fromName: "Example Forwarder",
			subject:   "Fwd: [Success] SRV-EXAMPLE03 - Agent-Daily - Monday, 05 October 2026 21:03:35",
			messageID: "CAFwd0001example@mail.example.com", date: "2026-10-06T00:06:13+02:00",
			text: []string{"---------- Forwarded message ---------\nFrom: <veeam@example.com>", "SRV-EXAMPLE03 Success 21:00:02 21:03:35"},
			html: []string{`class="gmail_quote gmail_quote_container"`, "Backup job: Agent-Daily"},
		},
		{
			// Forwarded as an attachment with only a signature around it: the forwarded
			// mail's bodies are shown; the envelope stays the forwarder's.
			file: "forward-rfc822.eml", from: "itdesk@customer.example.org", fromName: "IT Desk",
			subject: "FW: [Failed] Nightly-SQL (2 machines)", messageID: "outer-0001@customer.example.org",
			date:        "2025-10-07T08:30:00+02:00",
			text:        []string{"Backup job: Nightly-SQL\nFailed\nSRV-EXAMPLE04 Failed"},
			notText:     []string{"IT Desk"},
			html:        []string{"Backup job: Nightly-SQL", "#fb9895"},
			attachments: []file{{"[Failed] Nightly-SQL.eml", "message/rfc822"}},
		},
		{
			file: "related-cid.eml", from: "appliance@example.com", fromName: "Backup Appliance",
			subject: "Backup completed successfully", messageID: "related-0001@appliance.example.com",
			date:   "2025-10-08T06:00:00Z",
			text:   []string{"Backup completed successfully"},
			html:   []string{`src="cid:logo.png@01DC3700.A1B2C3D0"`},
			inline: []string{"logo.png@01DC3700.A1B2C3D0"},
		},
		{
			file: "pdf-attachment.eml", from: "reports@example.com", fromName: "Reports",
			subject: "Weekly backup report", messageID: "pdf-0001@example.com", date: "2025-10-12T07:00:00Z",
			text: []string{"The weekly backup report is attached."}, noHTML: true,
			attachments: []file{{"weekly-report.pdf", "application/pdf"}},
		},
		{
			// Cut off in transit: what arrived is decoded, the missing boundary noted.
			file: "truncated.eml", from: "reports@example.com", fromName: "Reports",
			subject: "[Success] Truncated-Job", messageID: "truncated-0001@example.com", date: "2025-10-12T07:00:00Z",
			text: []string{"Job Truncated-Job finished with status Success."}, noHTML: true,
			attachments:   []file{{"log.zip", "application/octet-stream"}},
			errorContains: "Missing Boundary",
		},
		{
			// A multipart without a boundary and binary junk: headers kept, body shown as text.
			file: "garbage.eml", from: "broken@example.com", subject: "garbage", noHTML: true,
			errorContains: "MIME structure unreadable",
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, ok := mails[tc.file]
			if !ok {
				t.Fatalf("no fixture %s", tc.file)
			}
			d, err := Decode(raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if d.From != tc.from || d.FromName != tc.fromName {
				t.Errorf("From = %q, %q; want %q, %q", d.From, d.FromName, tc.from, tc.fromName)
			}
			if d.Subject != tc.subject {
				t.Errorf("Subject = %q, want %q", d.Subject, tc.subject)
			}
			if d.MessageID != tc.messageID {
				t.Errorf("MessageID = %q, want %q", d.MessageID, tc.messageID)
			}
			if got := formatDate(d.Date); got != tc.date {
				t.Errorf("Date = %s, want %s", got, tc.date)
			}
			for _, s := range tc.text {
				if !strings.Contains(d.Text, s) {
					t.Errorf("Text lacks %q:\n%s", s, d.Text)
				}
			}
			for _, s := range tc.notText {
				if strings.Contains(d.Text, s) {
					t.Errorf("Text contains %q:\n%s", s, d.Text)
				}
			}
			if tc.noHTML && d.HTML != "" {
				t.Errorf("HTML = %.80q, want empty", d.HTML)
			}
			for _, s := range tc.html {
				if !strings.Contains(d.HTML, s) {
					t.Errorf("HTML lacks %q", s)
				}
			}
			var atts []file
			for _, a := range d.Attachments {
				atts = append(atts, file{a.Filename, a.ContentType})
				if len(a.Data) == 0 {
					t.Errorf("attachment %q has no data", a.Filename)
				}
			}
			if fmt.Sprint(atts) != fmt.Sprint(tc.attachments) {
				t.Errorf("Attachments = %v, want %v", atts, tc.attachments)
			}
			var cids []string
			for _, p := range d.Inline {
				cids = append(cids, p.ContentID)
				if !strings.HasPrefix(p.ContentType, "image/") || len(p.Data) == 0 {
					t.Errorf("inline part %+v", p)
				}
			}
			if fmt.Sprint(cids) != fmt.Sprint(tc.inline) {
				t.Errorf("Inline = %v, want %v", cids, tc.inline)
			}
			if tc.errorContains != "" && !strings.Contains(strings.Join(d.Errors, "\n"), tc.errorContains) {
				t.Errorf("Errors = %q, want one with %q", d.Errors, tc.errorContains)
			}
			checkClean(t, d)
		})
	}
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// checkClean asserts what the database needs: valid UTF-8 and no NUL bytes anywhere.
func checkClean(t testing.TB, d *Decoded) {
	t.Helper()
	for name, s := range map[string]string{
		"From": d.From, "FromName": d.FromName, "Subject": d.Subject, "MessageID": d.MessageID,
		"Text": d.Text, "HTML": d.HTML, "Errors": strings.Join(d.Errors, "\n"),
	} {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Errorf("%s is not clean UTF-8: %.80q", name, s)
		}
	}
	for _, a := range d.Attachments {
		if !utf8.ValidString(a.Filename) {
			t.Errorf("attachment name %q", a.Filename)
		}
	}
}

func TestDecodeForwardWithOwnText(t *testing.T) {
	raw := fixtures(t)["forward-rfc822.eml"]
	note := strings.Repeat("Please check why this job failed on the customer's SQL server tonight. ", 4)
	raw = bytes.Replace(raw, []byte("--\r\nIT Desk\r\n"), []byte(note+"\r\n"), 1)
	d, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	// The forwarder wrote a message of their own: that is the body, the forward an attachment.
	if !strings.Contains(d.Text, "Please check why") || strings.Contains(d.Text, "SRV-EXAMPLE04") || d.HTML != "" {
		t.Errorf("Text = %q, HTML = %.60q; want the outer body only", d.Text, d.HTML)
	}
	if len(d.Attachments) != 1 || d.Attachments[0].ContentType != "message/rfc822" {
		t.Errorf("Attachments = %v", d.Attachments)
	}
}

func TestDecodeMislabelledCharset(t *testing.T) {
	for _, tc := range []struct{ name, raw, text, subject string }{
		{
			// Declared UTF-8, written in Latin-1: no UTF-8 sequence at all, so windows-1252.
			name:    "latin-1 declared as utf-8",
			raw:     "From: a@example.com\r\nSubject: Sauvegarde r\xe9ussie\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nT\xe2che termin\xe9e\r\n",
			text:    "Tâche terminée\n",
			subject: "Sauvegarde réussie",
		},
		{
			name:    "utf-8 with one broken byte",
			raw:     "From: a@example.com\r\nSubject: ok\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nT\xc3\xa2che \xff termin\xc3\xa9e\r\n",
			text:    "Tâche \uFFFD terminée\n",
			subject: "ok",
		},
		{
			// Declared Latin-1, written in UTF-8: decoded as "TÃ¢che", then repaired.
			name:    "utf-8 declared as iso-8859-1",
			raw:     "From: a@example.com\r\nSubject: ok\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nT\xc3\xa2che termin\xc3\xa9e \xe2\x80\x93 \xe2\x82\xac\r\n",
			text:    "Tâche terminée – €\n",
			subject: "ok",
		},
		{
			name:    "utf-8 declared as us-ascii",
			raw:     "From: a@example.com\r\nSubject: ok\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nl\xe2\x80\x99op\xc3\xa9ration\r\n",
			text:    "l’opération\n",
			subject: "ok",
		},
		{
			name:    "NUL bytes",
			raw:     "From: a@example.com\r\nSubject: n\x00ul\r\n\r\nbo\x00dy\r\n",
			text:    "body\n",
			subject: "nul",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Decode([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if d.Text != tc.text || d.Subject != tc.subject {
				t.Errorf("Text = %q, Subject = %q; want %q, %q", d.Text, d.Subject, tc.text, tc.subject)
			}
			checkClean(t, d)
		})
	}
}

func TestDecodeNotAMail(t *testing.T) {
	for _, raw := range []string{"", " \r\n\r\n", "just some words\r\nand more\r\n", "\x00\x01\x02\x03"} {
		d, err := Decode([]byte(raw))
		if err == nil {
			t.Errorf("Decode(%q) = %+v, want an error", raw, d)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "mail: decode: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
	if _, err := Decode([]byte("hello world\r\n")); !errors.Is(err, ErrNotMail) {
		t.Errorf("err = %v, want ErrNotMail", err)
	}
}

func TestDecodeRandomBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		raw := make([]byte, rng.IntN(4096))
		for j := range raw {
			raw[j] = byte(rng.UintN(256))
		}
		if i%2 == 0 {
			// Give half of them a plausible start, so the body paths run too.
			raw = append([]byte("From: x@example.com\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"), raw...)
		}
		d, err := Decode(raw)
		if err == nil {
			checkClean(t, d)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"Fri, 05 Dec 2025 01:07:19 +0100":      "2025-12-05T01:07:19+01:00",
		"Fri, 5 Dec 2025 01:07:19 +0100 (CET)": "2025-12-05T01:07:19+01:00",
		"5 Dec 2025 01:07:19 GMT":              "2025-12-05T01:07:19Z",
		"Fri,  5 Dec 2025\r\n 01:07:19 +0100":  "2025-12-05T01:07:19+01:00",
		"2025-12-05T01:07:19+01:00":            "2025-12-05T01:07:19+01:00",
		"Fri Dec  5 01:07:19 2025":             "2025-12-05T01:07:19Z",
		"not a date":                           "",
		"":                                     "",
	} {
		if got := formatDate(parseDate(in)); got != want {
			t.Errorf("parseDate(%q) = %s, want %s", in, got, want)
		}
	}
}

// A Date of "-0000" says its writer did not know its zone (RFC 5322); the parsers then
// must not read report times in it.
func TestDateZoneUnknown(t *testing.T) {
	for in, want := range map[string]bool{
		"Mon, 05 Oct 2026 18:03:36 -0000":       true,
		"Mon, 05 Oct 2026 18:03:36 -0000 (UTC)": true,
		"Mon, 05 Oct 2026 18:03:36 +0000":       false,
		"Mon, 05 Oct 2026 20:03:36 +0200":       false,
		"":                                      false,
	} {
		raw := []byte("From: nas@example.com\r\nSubject: Backup ok\r\nDate: " + in + "\r\n\r\nbody\r\n")
		d, err := Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if d.DateZoneUnknown != want {
			t.Errorf("Date %q: DateZoneUnknown = %v, want %v", in, d.DateZoneUnknown, want)
		}
	}
}
