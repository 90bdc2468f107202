package settings

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Mail sources an admin can choose.
const (
	MailSourceNone  = "none"
	MailSourceGraph = "graph"
	MailSourceIMAP  = "imap"
)

// Imports is the Imports tab with secrets decrypted (never rendered back: the page
// shows only whether a secret is set).
type Imports struct {
	Source          string
	Enabled         bool
	IntervalMinutes int
	BatchSize       int

	GraphTenantID        string
	GraphClientID        string
	GraphClientSecret    string
	GraphMailbox         string
	GraphSourceFolder    string
	GraphProcessedFolder string

	IMAPHost            string
	IMAPPort            int // 0 = the security's default port
	IMAPSecurity        string
	IMAPUsername        string
	IMAPPassword        string
	IMAPFolder          string
	IMAPProcessedFolder string
}

// ImportsFrom decrypts the import settings of s.
func ImportsFrom(s *db.SystemSettings, keys *secrets.Keyring) (Imports, error) {
	im := Imports{
		Source: s.MailSource, Enabled: s.MailImportEnabled, IntervalMinutes: s.MailImportIntervalMinutes, BatchSize: s.MailImportBatchSize,
		GraphTenantID: s.GraphTenantID, GraphClientID: s.GraphClientID, GraphMailbox: s.GraphMailbox,
		GraphSourceFolder: s.GraphSourceFolder, GraphProcessedFolder: s.GraphProcessedFolder,
		IMAPHost: s.IMAPHost, IMAPSecurity: s.IMAPSecurity, IMAPUsername: s.IMAPUsername,
		IMAPFolder: s.IMAPFolder, IMAPProcessedFolder: s.IMAPProcessedFolder,
	}
	if s.IMAPPort != nil {
		im.IMAPPort = *s.IMAPPort
	}
	err := openSecrets(keys, "Imports",
		sealedField{s.GraphClientSecret, &im.GraphClientSecret, "Graph client secret"},
		sealedField{s.IMAPPassword, &im.IMAPPassword, "IMAP password"})
	return im, err
}

// sealedField is a stored secret and where its plain text goes.
type sealedField struct {
	sealed []byte
	into   *string
	name   string
}

// openSecrets decrypts the set secrets; one that no longer decrypts (another
// APP_SECRET_KEY) must be entered again on the settings tab named.
func openSecrets(keys *secrets.Keyring, tab string, fields ...sealedField) error {
	for _, f := range fields {
		if len(f.sealed) == 0 {
			continue
		}
		plain, err := keys.Decrypt(f.sealed)
		if err != nil {
			return fmt.Errorf("settings: %s: %w (enter it again under Settings → %s)", f.name, err, tab)
		}
		*f.into = string(plain)
	}
	return nil
}

// ImportsInput is the Imports form as submitted. Empty secret fields keep the stored
// secret; ClearSecret… removes it.
type ImportsInput struct {
	Source          string
	Enabled         bool
	IntervalMinutes string
	BatchSize       string

	GraphTenantID        string
	GraphClientID        string
	GraphClientSecret    string
	GraphMailbox         string
	GraphSourceFolder    string
	GraphProcessedFolder string

	IMAPHost            string
	IMAPPort            string
	IMAPSecurity        string
	IMAPUsername        string
	IMAPPassword        string
	IMAPFolder          string
	IMAPProcessedFolder string
}

var (
	guidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	domainRE = regexp.MustCompile(`^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+$`)
)

func trimAll(ptrs ...*string) {
	for _, p := range ptrs {
		*p = strings.TrimSpace(*p)
	}
}

// trim removes the spaces around every value but the secrets, which are taken as typed.
func (in *ImportsInput) trim() {
	trimAll(&in.Source, &in.IntervalMinutes, &in.BatchSize, &in.GraphTenantID, &in.GraphClientID, &in.GraphMailbox,
		&in.GraphSourceFolder, &in.GraphProcessedFolder, &in.IMAPHost, &in.IMAPPort, &in.IMAPSecurity,
		&in.IMAPUsername, &in.IMAPFolder, &in.IMAPProcessedFolder)
}

// ImportsFromInput returns the import settings as typed into the form, to test a
// connection with before they are saved: validated as a save would validate them, with
// an empty secret field standing for the stored secret. Nothing is saved. Values that
// could not be saved, or no source chosen, come back as validation.Errors.
func ImportsFromInput(s *db.SystemSettings, keys *secrets.Keyring, in ImportsInput) (Imports, error) {
	in.trim()
	next, errs := applyImports(*s, keys, in)
	if in.Source == MailSourceNone {
		errs.Add("mail_source", "choose Microsoft 365 (Graph) or IMAP to test its connection")
	}
	if err := errs.Err(); err != nil {
		return Imports{}, err
	}
	return ImportsFrom(&next, keys)
}

// UpdateImports validates and saves the Imports tab, encrypting typed secrets, and
// audits what changed (secrets masked).
func UpdateImports(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, actor audit.Actor, in ImportsInput) (*db.SystemSettings, error) {
	in.trim()
	var saved *db.SystemSettings
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old := new(db.SystemSettings)
		if err := tx.NewSelect().Model(old).Where("id = 1").For("UPDATE").Scan(ctx); err != nil {
			return err
		}
		next, errs := applyImports(*old, keys, in)
		if err := errs.Err(); err != nil {
			return err
		}
		changes := audit.Changes{}
		changes.Add("mail_source", old.MailSource, next.MailSource)
		changes.Add("mail_import_enabled", old.MailImportEnabled, next.MailImportEnabled)
		changes.Add("mail_import_interval_minutes", old.MailImportIntervalMinutes, next.MailImportIntervalMinutes)
		changes.Add("mail_import_batch_size", old.MailImportBatchSize, next.MailImportBatchSize)
		changes.Add("graph_tenant_id", old.GraphTenantID, next.GraphTenantID)
		changes.Add("graph_client_id", old.GraphClientID, next.GraphClientID)
		changes.AddSecret("graph_client_secret", in.GraphClientSecret != "")
		changes.Add("graph_mailbox", old.GraphMailbox, next.GraphMailbox)
		changes.Add("graph_source_folder", old.GraphSourceFolder, next.GraphSourceFolder)
		changes.Add("graph_processed_folder", old.GraphProcessedFolder, next.GraphProcessedFolder)
		changes.Add("imap_host", old.IMAPHost, next.IMAPHost)
		changes.Add("imap_port", intOr(old.IMAPPort), intOr(next.IMAPPort))
		changes.Add("imap_security", old.IMAPSecurity, next.IMAPSecurity)
		changes.Add("imap_username", old.IMAPUsername, next.IMAPUsername)
		changes.AddSecret("imap_password", in.IMAPPassword != "")
		changes.Add("imap_folder", old.IMAPFolder, next.IMAPFolder)
		changes.Add("imap_processed_folder", old.IMAPProcessedFolder, next.IMAPProcessedFolder)
		saved = &next
		if len(changes) == 0 {
			return nil
		}
		if actor.ID != 0 {
			saved.UpdatedBy = &actor.ID
		}
		if _, err := tx.NewUpdate().Model(saved).Column(
			"mail_source", "mail_import_enabled", "mail_import_interval_minutes", "mail_import_batch_size",
			"graph_tenant_id", "graph_client_id", "graph_client_secret", "graph_mailbox", "graph_source_folder", "graph_processed_folder",
			"imap_host", "imap_port", "imap_security", "imap_username", "imap_password", "imap_folder", "imap_processed_folder",
			"updated_by").Set("updated_at = now()").WherePK().Returning("*").Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.SettingsUpdated, "settings:imports", changes)
	})
	if err != nil {
		return nil, fmt.Errorf("settings: update imports: %w", err)
	}
	return saved, nil
}

// applyImports validates in against the stored row and returns the row to save.
func applyImports(s db.SystemSettings, keys *secrets.Keyring, in ImportsInput) (db.SystemSettings, validation.Errors) {
	errs := validation.Errors{}
	switch in.Source {
	case MailSourceNone, MailSourceGraph, MailSourceIMAP:
		s.MailSource = in.Source
	default:
		errs.Add("mail_source", "choose Microsoft Graph, IMAP or none")
	}
	s.MailImportEnabled = in.Enabled
	if in.Enabled && in.Source == MailSourceNone {
		errs.Add("mail_import_enabled", "choose a mail source before enabling automatic import")
	}
	s.MailImportIntervalMinutes = intField(errs, "mail_import_interval_minutes", in.IntervalMinutes, 1, 1440, "minutes between 1 and 1440")
	s.MailImportBatchSize = intField(errs, "mail_import_batch_size", in.BatchSize, 1, 500, "a number of mails between 1 and 500")

	s.GraphTenantID, s.GraphClientID, s.GraphMailbox = in.GraphTenantID, in.GraphClientID, in.GraphMailbox
	s.GraphSourceFolder, s.GraphProcessedFolder = in.GraphSourceFolder, in.GraphProcessedFolder
	if in.GraphClientSecret != "" {
		s.GraphClientSecret = seal(errs, keys, "graph_client_secret", in.GraphClientSecret)
	}
	s.IMAPHost, s.IMAPUsername = in.IMAPHost, in.IMAPUsername
	s.IMAPFolder, s.IMAPProcessedFolder = in.IMAPFolder, in.IMAPProcessedFolder
	if in.IMAPSecurity != "" {
		// Left out (a form showing only the Graph fields): the stored choice stays.
		s.IMAPSecurity = in.IMAPSecurity
	}
	s.IMAPPort = nil
	if in.IMAPPort != "" {
		p := intField(errs, "imap_port", in.IMAPPort, 1, 65535, "a port between 1 and 65535, or empty for the default")
		s.IMAPPort = &p
	}
	if in.IMAPPassword != "" {
		s.IMAPPassword = seal(errs, keys, "imap_password", in.IMAPPassword)
	}

	// Every field is checked for what it is, whichever source is chosen: a value saved
	// for the other source must be one the database and that source accept later.
	for _, f := range []struct{ field, value string }{
		{"graph_tenant_id", s.GraphTenantID}, {"graph_client_id", s.GraphClientID}, {"graph_mailbox", s.GraphMailbox},
		{"graph_source_folder", s.GraphSourceFolder}, {"graph_processed_folder", s.GraphProcessedFolder},
		{"imap_host", s.IMAPHost}, {"imap_username", s.IMAPUsername}, {"imap_folder", s.IMAPFolder},
		{"imap_processed_folder", s.IMAPProcessedFolder},
	} {
		switch {
		case len(f.value) > maxSettingLen:
			errs.Add(f.field, fmt.Sprintf("at most %d characters", maxSettingLen))
		case strings.ContainsFunc(f.value, unicode.IsControl):
			errs.Add(f.field, "remove the control characters (tabs, line breaks) from this value")
		}
	}
	if s.GraphTenantID != "" && !guidRE.MatchString(s.GraphTenantID) && !domainRE.MatchString(s.GraphTenantID) {
		errs.Add("graph_tenant_id", msgTenantID)
	}
	if s.GraphClientID != "" && !guidRE.MatchString(s.GraphClientID) {
		errs.Add("graph_client_id", msgClientID)
	}
	if s.GraphMailbox != "" {
		if a, err := mail.ParseAddress(s.GraphMailbox); err != nil || a.Address != s.GraphMailbox {
			errs.Add("graph_mailbox", msgMailbox)
		}
	}
	if s.IMAPHost != "" && strings.ContainsAny(s.IMAPHost, " /:") && net.ParseIP(s.IMAPHost) == nil {
		errs.Add("imap_host", msgIMAPHost)
	}
	switch s.IMAPSecurity {
	case "tls", "starttls":
	case "none":
		if ip := net.ParseIP(s.IMAPHost); s.IMAPHost != "" && !(s.IMAPHost == "localhost" || ip != nil && ip.IsLoopback()) {
			errs.Add("imap_security", "an unencrypted connection is only allowed to this machine (localhost); choose TLS or STARTTLS")
		}
	default:
		errs.Add("imap_security", "choose TLS or STARTTLS")
	}

	// Only the chosen source's fields must be complete.
	switch in.Source {
	case MailSourceGraph:
		if s.GraphTenantID == "" {
			errs.Add("graph_tenant_id", msgTenantID)
		}
		if s.GraphClientID == "" {
			errs.Add("graph_client_id", msgClientID)
		}
		if len(s.GraphClientSecret) == 0 {
			errs.Add("graph_client_secret", "enter the client secret")
		}
		if s.GraphMailbox == "" {
			errs.Add("graph_mailbox", msgMailbox)
		}
		if s.GraphSourceFolder == "" {
			errs.Add("graph_source_folder", "enter the folder to import from, e.g. Inbox")
		}
		switch {
		case s.GraphProcessedFolder == "":
			errs.Add("graph_processed_folder", "enter the folder imported mail is moved to, e.g. Inbox/Processed")
		case strings.EqualFold(s.GraphProcessedFolder, s.GraphSourceFolder):
			errs.Add("graph_processed_folder", "must differ from the folder imported from")
		}
	case MailSourceIMAP:
		if s.IMAPHost == "" {
			errs.Add("imap_host", msgIMAPHost)
		}
		if s.IMAPUsername == "" {
			errs.Add("imap_username", "enter the IMAP user name")
		}
		if len(s.IMAPPassword) == 0 {
			errs.Add("imap_password", "enter the IMAP password")
		}
		if s.IMAPFolder == "" {
			errs.Add("imap_folder", "enter the folder to import from, e.g. INBOX")
		}
		if s.IMAPProcessedFolder != "" && strings.EqualFold(s.IMAPProcessedFolder, s.IMAPFolder) {
			errs.Add("imap_processed_folder", "must differ from the folder imported from (or stay empty to flag imported mail instead)")
		}
	}
	return s, errs
}

// The messages beside a field that is missing or malformed (the same for both).
const (
	msgTenantID = "enter the directory (tenant) ID, a GUID, or the tenant's domain"
	msgClientID = "enter the application (client) ID, a GUID"
	msgMailbox  = "enter the mailbox's address (UPN), e.g. backups@example.com"
	msgIMAPHost = "enter the IMAP server's host name, e.g. imap.example.com"
)

// maxSettingLen bounds a text setting: host names, addresses and folder paths are short.
const maxSettingLen = 255

func intField(errs validation.Errors, field, v string, lo, hi int, want string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		errs.Add(field, "enter "+want)
		return lo
	}
	return n
}

func seal(errs validation.Errors, keys *secrets.Keyring, field, plain string) []byte {
	b, err := keys.Encrypt([]byte(plain))
	if err != nil {
		errs.Add(field, "could not encrypt this secret: "+err.Error())
	}
	return b
}

func intOr(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// ImportDue reports whether the periodic mail import should run at now: imports are
// enabled, a mail source is chosen, and either no import has run yet or the interval
// has passed since the last one (an import exactly at the interval is due). The
// interval is read from s each time, so a changed interval applies at once.
func ImportDue(s *db.SystemSettings, now time.Time) bool {
	if !s.MailImportEnabled || s.MailSource == MailSourceNone {
		return false
	}
	if s.MailLastImportAt == nil {
		return true
	}
	next := s.MailLastImportAt.Add(time.Duration(s.MailImportIntervalMinutes) * time.Minute)
	return !now.Before(next)
}
