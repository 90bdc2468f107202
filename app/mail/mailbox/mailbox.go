// Package mailbox builds the configured mailbox — Microsoft Graph or IMAP, from
// Settings → Imports and the deployment's options — as a mail.Source, which is all the
// importer (app/ingest) sees of it.
package mailbox

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/mail/graph"
	"github.com/backupchecks/backupchecks/app/mail/imap"
	"github.com/backupchecks/backupchecks/app/settings"
)

// Options are the deployment-level knobs of the mailboxes (environment, not the
// settings page): other clouds' Microsoft endpoints, and a private CA for IMAP.
type Options struct {
	GraphLoginURL string
	GraphURL      string
	IMAPTLS       *tls.Config
	Limits        mail.Limits
}

// ErrNoSource means no mail source is configured.
var ErrNoSource = errors.New("no mail source is configured (Settings → Imports)")

// FromSettings builds the configured mailbox and the key that identifies it (for the
// one-import-per-mailbox lock). ErrNoSource when none is configured.
func FromSettings(im settings.Imports, o Options) (mail.Source, string, error) {
	limits := o.Limits
	if limits == (mail.Limits{}) {
		limits = mail.DefaultLimits
	}
	switch im.Source {
	case settings.MailSourceGraph:
		src, err := graph.New(graph.Config{
			TenantID: im.GraphTenantID, ClientID: im.GraphClientID, ClientSecret: im.GraphClientSecret,
			Mailbox: im.GraphMailbox, SourceFolder: im.GraphSourceFolder, ProcessedFolder: im.GraphProcessedFolder,
			LoginURL: o.GraphLoginURL, GraphURL: o.GraphURL, Limits: limits,
		})
		if err != nil {
			return nil, "", err
		}
		return src, "graph:" + strings.ToLower(im.GraphMailbox) + "/" + strings.ToLower(im.GraphSourceFolder), nil
	case settings.MailSourceIMAP:
		src, err := imap.New(imap.Config{
			Host: im.IMAPHost, Port: im.IMAPPort, Security: im.IMAPSecurity, Username: im.IMAPUsername,
			Password: im.IMAPPassword, Folder: im.IMAPFolder, ProcessedFolder: im.IMAPProcessedFolder,
			TLSConfig: o.IMAPTLS, Limits: limits,
		})
		if err != nil {
			return nil, "", err
		}
		return src, fmt.Sprintf("imap:%s@%s/%s", strings.ToLower(im.IMAPUsername), strings.ToLower(im.IMAPHost), im.IMAPFolder), nil
	}
	return nil, "", ErrNoSource
}
