package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Audit actions of notifications.
const (
	AuditChannelSaved   = "notify.channel_saved"
	AuditChannelDeleted = "notify.channel_deleted"
	AuditRuleSaved      = "notify.rule_saved"
	AuditRuleDeleted    = "notify.rule_deleted"
	AuditTestSent       = "notify.test_sent"
	AuditSubscription   = "notify.subscription_saved"
)

// Limits of the forms.
const (
	maxRecipients  = 50
	minSecretLen   = 16
	maxNameLen     = 100
	maxURLLen      = 2000
	ChannelsMax    = 200
	RulesMax       = 500
	DeliveriesPage = 50
)

// ChannelKinds are the kinds in the order the form offers them.
var ChannelKinds = []string{ChannelEmail, ChannelTeams, ChannelSlack, ChannelWebhook}

// KindLabel names a channel kind for people.
func KindLabel(kind string) string {
	switch kind {
	case ChannelEmail:
		return "E-mail"
	case ChannelTeams:
		return "Microsoft Teams"
	case ChannelSlack:
		return "Slack-compatible"
	case ChannelWebhook:
		return "Webhook (signed JSON)"
	}
	return kind
}

// ChannelInput is the channel form as submitted. An empty URL or Secret keeps the
// stored one (both are masked in the form).
type ChannelInput struct {
	Name       string
	Kind       string
	Recipients string // e-mail: addresses separated by commas, semicolons or lines
	URL        string
	Secret     string
	DigestTime string // HH:MM or empty
	Enabled    bool
}

// SaveChannel creates (id 0) or updates a channel, audited.
func SaveChannel(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, actor audit.Actor, id int64, in ChannelInput) (int64, error) {
	errs := validation.Errors{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > maxNameLen {
		errs.Add("name", "enter a name of at most 100 characters")
	}
	old := new(db.NotifyChannel)
	if id != 0 {
		if err := bdb.NewSelect().Model(old).Where("id = ?", id).Scan(ctx); err != nil {
			return 0, fmt.Errorf("notify: channel %d: %w", id, db.NotFound(err))
		}
		in.Kind = old.Kind // the kind of a channel never changes: its secrets mean different things
	}
	row := *old
	row.Name, row.Kind, row.Enabled = in.Name, in.Kind, in.Enabled
	row.Recipients = []string{}
	switch in.Kind {
	case ChannelEmail:
		addrs, err := ParseRecipients(in.Recipients)
		if err != nil {
			errs.Add("recipients", err.Error())
		}
		row.URL, row.Secret = nil, nil
		if addrs != nil {
			row.Recipients = addrs
		}
	case ChannelTeams, ChannelSlack, ChannelWebhook:
		u := strings.TrimSpace(in.URL)
		if u == "" && old.URL == nil {
			errs.Add("url", "enter the webhook URL")
		}
		if u != "" {
			if err := checkURL(u); err != nil {
				errs.Add("url", err.Error())
			} else if enc, err := keys.Encrypt([]byte(u)); err != nil {
				errs.Add("url", "could not encrypt the URL: "+err.Error())
			} else {
				row.URL = enc
			}
		}
		if in.Kind == ChannelWebhook {
			switch {
			case in.Secret == "" && old.Secret == nil:
				errs.Add("secret", "enter a signing secret of at least 16 characters")
			case in.Secret != "" && len(in.Secret) < minSecretLen:
				errs.Add("secret", "use at least 16 characters")
			case in.Secret != "":
				enc, err := keys.Encrypt([]byte(in.Secret))
				if err != nil {
					errs.Add("secret", "could not encrypt the secret: "+err.Error())
				}
				row.Secret = enc
			}
		} else {
			row.Secret = nil
		}
	default:
		errs.Add("kind", "choose e-mail, Teams, Slack or webhook")
	}
	row.DigestTime = nil
	if t := strings.TrimSpace(in.DigestTime); t != "" {
		if _, err := time.Parse("15:04", t); err != nil {
			errs.Add("digest_time", "enter a time as HH:MM, or leave it empty for no digest")
		} else {
			row.DigestTime = &t
		}
	}
	if err := errs.Err(); err != nil {
		return 0, err
	}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ch := audit.Changes{}
		if id == 0 {
			if _, err := tx.NewInsert().Model(&row).ExcludeColumn("id", "created_at", "updated_at", "consecutive_failures",
				"last_error", "last_failure_at", "last_success_at").Returning("id").Exec(ctx); err != nil {
				return uniqueName(err)
			}
		} else {
			if _, err := tx.NewUpdate().Model(&row).WherePK().Column("name", "recipients", "url", "secret", "digest_time", "enabled").
				Set("updated_at = now()").Exec(ctx); err != nil {
				return uniqueName(err)
			}
		}
		ch.Add("name", old.Name, row.Name)
		ch.Add("kind", old.Kind, row.Kind)
		ch.Add("recipients", strings.Join(old.Recipients, ", "), strings.Join(row.Recipients, ", "))
		ch.Add("digest_time", deref(old.DigestTime), deref(row.DigestTime))
		ch.Add("enabled", old.Enabled, row.Enabled)
		ch.AddSecret("url", strings.TrimSpace(in.URL) != "")
		ch.AddSecret("secret", in.Secret != "")
		return audit.Record(ctx, tx, actor, AuditChannelSaved, fmt.Sprintf("channel %d", row.ID), ch)
	})
	return row.ID, err
}

func uniqueName(err error) error {
	if strings.Contains(err.Error(), "notify_channels_name_key") {
		return validation.Errors{"name": "another channel has this name"}
	}
	return fmt.Errorf("notify: save channel: %w", err)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ParseRecipients reads a list of mail addresses.
func ParseRecipients(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' || r == ' ' }) {
		a, err := mail.ParseAddress(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a mail address", f)
		}
		out = append(out, a.Address)
	}
	if len(out) == 0 {
		return nil, errors.New("enter at least one mail address")
	}
	if len(out) > maxRecipients {
		return nil, fmt.Errorf("at most %d addresses", maxRecipients)
	}
	return out, nil
}

func checkURL(s string) error {
	if len(s) > maxURLLen {
		return errors.New("the URL is too long")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("enter an http(s) URL")
	}
	if u.User != nil {
		return errors.New("put no user name or password in the URL")
	}
	return nil
}

// DeleteChannel deletes a channel with its rules, audited; its deliveries stay in
// the history.
func DeleteChannel(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64) error {
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var name string
		if err := tx.NewRaw("DELETE FROM notify_channels WHERE id = ? RETURNING name", id).Scan(ctx, &name); err != nil {
			return fmt.Errorf("notify: delete channel %d: %w", id, db.NotFound(err))
		}
		return audit.Record(ctx, tx, actor, AuditChannelDeleted, fmt.Sprintf("channel %d", id), map[string]any{"name": name})
	})
}

// Channel is a channel as the settings page lists it (no secrets).
type Channel struct {
	db.NotifyChannel `bun:",extend"`
	Rules            int `bun:"rules"`
}

// HasURL and HasSecret tell whether they are stored (the form masks them).
func (c Channel) HasURL() bool    { return c.URL != nil }
func (c Channel) HasSecret() bool { return c.Secret != nil }

// Failing reports whether the channel's last delivery failed for good.
func (c Channel) Failing() bool { return c.ConsecutiveFailures > 0 }

// Channels lists the channels by name.
func Channels(ctx context.Context, idb bun.IDB) ([]Channel, error) {
	var out []Channel
	if err := idb.NewSelect().Model(&out).
		ColumnExpr("notify_channel.*").
		ColumnExpr("(SELECT count(*) FROM notify_rules r WHERE r.channel_id = notify_channel.id) AS rules").
		OrderExpr("lower(notify_channel.name)").Limit(ChannelsMax).Scan(ctx); err != nil {
		return nil, fmt.Errorf("notify: channels: %w", err)
	}
	return out, nil
}

// GetChannel reads one channel.
func GetChannel(ctx context.Context, idb bun.IDB, id int64) (*db.NotifyChannel, error) {
	c := new(db.NotifyChannel)
	if err := idb.NewSelect().Model(c).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("notify: channel %d: %w", id, db.NotFound(err))
	}
	return c, nil
}

// TargetOf decrypts a channel into a Target.
func TargetOf(c *db.NotifyChannel, keys *secrets.Keyring) (Target, error) {
	t := Target{Kind: c.Kind, Recipients: c.Recipients}
	if c.URL != nil {
		b, err := keys.Decrypt(c.URL)
		if err != nil {
			return t, fmt.Errorf("the webhook URL no longer decrypts (%w); enter it again", err)
		}
		t.URL = string(b)
	}
	if c.Secret != nil {
		b, err := keys.Decrypt(c.Secret)
		if err != nil {
			return t, fmt.Errorf("the signing secret no longer decrypts (%w); enter it again", err)
		}
		t.Secret = string(b)
	}
	return t, nil
}

// FailingChannels are the enabled channels whose last delivery failed for good (the
// dashboard flags them).
func FailingChannels(ctx context.Context, idb bun.IDB) ([]db.NotifyChannel, error) {
	var out []db.NotifyChannel
	if err := idb.NewSelect().Model(&out).Column("id", "name", "kind", "consecutive_failures", "last_error", "last_failure_at").
		Where("enabled AND consecutive_failures > 0").OrderExpr("lower(name)").Limit(20).Scan(ctx); err != nil {
		return nil, fmt.Errorf("notify: failing channels: %w", err)
	}
	return out, nil
}
