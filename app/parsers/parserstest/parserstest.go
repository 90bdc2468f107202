// Package parserstest gives tests a tiny, predictable report format and its parser,
// so pipeline and UI tests do not depend on any vendor parser's details.
package parserstest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/backupchecks/backupchecks/app/parsers"
)

// Parser reads mails from *@backup.example.net with subjects like
// "[Failed] Nightly (2 objects)" and body lines "object: NAME STATUS [error]".
type Parser struct{}

var (
	subjectRE = regexp.MustCompile(`^\[(Success|Warning|Failed)\] (.+?)(?: \(\d+ objects\))?$`)
	objectRE  = regexp.MustCompile(`(?m)^object: (\S+) (Success|Warning|Failed)(?: (.*?))?\r?$`)
)

// Info describes the parser.
func (Parser) Info() parsers.Info {
	return parsers.Info{Name: "test_backup", BackupSoftware: "TestBackup", BackupTypes: []string{"Backup"},
		Match: "sender @backup.example.net, subject [Status] Job", Order: 1, Enabled: true}
}

// Match recognises the test format.
func (Parser) Match(m *parsers.Mail) bool {
	return strings.HasSuffix(m.From, "@backup.example.net") && subjectRE.MatchString(m.Subject)
}

// Parse extracts job, status and objects.
func (Parser) Parse(m *parsers.Mail) (*parsers.ParsedRun, error) {
	s := subjectRE.FindStringSubmatch(m.Subject)
	r := &parsers.ParsedRun{BackupSoftware: "TestBackup", BackupType: "Backup", JobName: s[2], Status: s[1]}
	for _, o := range objectRE.FindAllStringSubmatch(m.Text, -1) {
		r.Objects = append(r.Objects, parsers.Object{Name: o[1], Type: "VM", Status: o[2], Error: o[3]})
	}
	return r, nil
}

// Registry is the default registry with Parser tried first.
func Registry() *parsers.Registry {
	return parsers.NewRegistry(append([]parsers.Parser{Parser{}}, parsers.Default().Parsers()...)...)
}

// Mail builds raw MIME of the test format; n makes Message-ID and time unique.
func Mail(n int, status, job string, objects ...string) []byte {
	return []byte(fmt.Sprintf("From: Backup <nas@backup.example.net>\r\nTo: reports@msp.example.com\r\n"+
		"Subject: [%s] %s (%d objects)\r\nDate: Mon, 02 Mar 2026 22:%02d:00 +0100\r\nMessage-ID: <report-%d@backup.example.net>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		status, job, len(objects), n%60, n, strings.Join(objects, "\r\n")))
}
