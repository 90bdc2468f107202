package settings_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

const tenant = "8b4d4e2a-3f0c-4c1e-9a57-1d2c3b4a5f60"

func graphInput() settings.ImportsInput {
	return settings.ImportsInput{Source: "graph", IntervalMinutes: "15", BatchSize: "50",
		GraphTenantID: tenant, GraphClientID: tenant, GraphClientSecret: "s3cret", GraphMailbox: "backups@example.com",
		GraphSourceFolder: "Inbox", GraphProcessedFolder: "Inbox/Processed"}
}

// Every field is validated whatever the chosen source: a crafted save of one source's
// form with the other source's fields missing or malformed is refused with the reason
// beside the field, or saved, but never a database error (it was a 500 from a check
// constraint for mail_source=graph without imap_security).
func TestSecurityImportSettingsEveryField(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	keys := secrets.NewKeyring("test-secret-key-test-secret-key-0123")
	for _, tc := range []struct {
		name      string
		edit      func(*settings.ImportsInput)
		wantField string // "" = saved
	}{
		{name: "graph without any IMAP field", edit: func(*settings.ImportsInput) {}},
		{name: "graph, unknown imap_security", edit: func(in *settings.ImportsInput) { in.IMAPSecurity = "plaintext" }, wantField: "imap_security"},
		{name: "graph, IMAP port out of range", edit: func(in *settings.ImportsInput) { in.IMAPPort = "70000" }, wantField: "imap_port"},
		{name: "graph, IMAP host malformed", edit: func(in *settings.ImportsInput) { in.IMAPHost = "imap.example.com/x y" }, wantField: "imap_host"},
		{name: "graph, unencrypted IMAP to a remote host", edit: func(in *settings.ImportsInput) {
			in.IMAPHost, in.IMAPSecurity = "imap.example.com", "none"
		}, wantField: "imap_security"},
		{name: "graph, control character in a folder", edit: func(in *settings.ImportsInput) { in.GraphSourceFolder = "In\x01box" }, wantField: "graph_source_folder"},
		{name: "graph, overlong IMAP folder", edit: func(in *settings.ImportsInput) { in.IMAPFolder = strings.Repeat("f", 300) }, wantField: "imap_folder"},
		{name: "imap, malformed Graph mailbox", edit: func(in *settings.ImportsInput) {
			*in = settings.ImportsInput{Source: "imap", IntervalMinutes: "15", BatchSize: "50", IMAPHost: "imap.example.com",
				IMAPSecurity: "tls", IMAPUsername: "u", IMAPPassword: "p", IMAPFolder: "INBOX", GraphMailbox: "not an address"}
		}, wantField: "graph_mailbox"},
		{name: "imap, malformed Graph client id", edit: func(in *settings.ImportsInput) {
			*in = settings.ImportsInput{Source: "imap", IntervalMinutes: "15", BatchSize: "50", IMAPHost: "imap.example.com",
				IMAPUsername: "u", IMAPPassword: "p", IMAPFolder: "INBOX", GraphClientID: "x'; DROP"}
		}, wantField: "graph_client_id"},
		{name: "no source, empty form", edit: func(in *settings.ImportsInput) {
			*in = settings.ImportsInput{Source: "none", IntervalMinutes: "15", BatchSize: "50"}
		}},
		{name: "missing source", edit: func(in *settings.ImportsInput) { in.Source = "" }, wantField: "mail_source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := graphInput()
			tc.edit(&in)
			saved, err := settings.UpdateImports(ctx, d.Bun, keys, audit.Actor{Name: "test"}, in)
			errs, isValidation := validation.As(err)
			switch {
			case tc.wantField == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantField == "":
				if saved.IMAPSecurity == "" {
					t.Error("saved without an IMAP security choice")
				}
			case !isValidation:
				t.Fatalf("want a message beside %s, got %v", tc.wantField, err)
			case errs[tc.wantField] == "":
				t.Errorf("no message beside %s: %v", tc.wantField, errs)
			}
			if err != nil && !isValidation && !errors.Is(err, context.Canceled) {
				t.Fatalf("database error instead of a validation message: %v", err)
			}
		})
	}
}
