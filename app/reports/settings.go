package reports

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // logo uploads may be JPEG
	"image/png"
	"net/mail"
	"regexp"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/outbound"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Branding is what every report shows of the MSP.
type Branding struct {
	CompanyName string
	Logo        []byte // PNG (uploads are re-encoded), nil for none
	AccentColor string // #rrggbb
	FooterText  string
}

// Delivery channels of scheduled reports.
const (
	ChannelNone  = outbound.ChannelNone
	ChannelGraph = outbound.ChannelGraph
	ChannelSMTP  = outbound.ChannelSMTP
)

// Settings is Settings → Reporting with secrets decrypted.
type Settings struct {
	Branding
	DeliveryChannel   string
	SMTPHost          string
	SMTPPort          int
	SMTPSecurity      string // starttls or tls
	SMTPUsername      string
	SMTPPassword      string
	SMTPFrom          string
	FileRetentionDays int
	HasSMTPPassword   bool
}

// LoadSettings reads Settings → Reporting. A stored SMTP password that no longer
// decrypts is reported, the rest is still returned.
func LoadSettings(ctx context.Context, idb bun.IDB, keys *secrets.Keyring) (Settings, error) {
	row := new(db.ReportSettings)
	if err := idb.NewSelect().Model(row).Where("id = 1").Scan(ctx); err != nil {
		return Settings{}, fmt.Errorf("reports: load settings: %w", db.NotFound(err))
	}
	s := Settings{
		Branding:        Branding{CompanyName: row.CompanyName, Logo: row.Logo, AccentColor: row.AccentColor, FooterText: row.FooterText},
		DeliveryChannel: row.DeliveryChannel, SMTPHost: row.SMTPHost, SMTPSecurity: row.SMTPSecurity,
		SMTPUsername: row.SMTPUsername, SMTPFrom: row.SMTPFrom, FileRetentionDays: row.FileRetentionDays,
		HasSMTPPassword: len(row.SMTPPassword) > 0,
	}
	if row.SMTPPort != nil {
		s.SMTPPort = *row.SMTPPort
	}
	if len(row.SMTPPassword) > 0 && keys != nil {
		plain, err := keys.Decrypt(row.SMTPPassword)
		if err != nil {
			return s, fmt.Errorf("reports: SMTP password: %w (enter it again under Settings → Reporting)", err)
		}
		s.SMTPPassword = string(plain)
	}
	return s, nil
}

// SettingsInput is the Reporting form as submitted. Logo is a new upload (nil keeps
// the stored one); RemoveLogo drops it. An empty SMTPPassword keeps the stored one.
type SettingsInput struct {
	CompanyName       string
	AccentColor       string
	FooterText        string
	Logo              []byte
	RemoveLogo        bool
	DeliveryChannel   string
	SMTPHost          string
	SMTPPort          string
	SMTPSecurity      string
	SMTPUsername      string
	SMTPPassword      string
	ClearSMTPPassword bool
	SMTPFrom          string
	FileRetentionDays string
}

// Limits of the Reporting form.
const (
	MaxLogoBytes  = 1 << 20
	maxLogoPixels = 2000
	maxTextLen    = 200
)

var hexColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// CheckLogo accepts a PNG or JPEG of at most MaxLogoBytes and maxLogoPixels a side and
// returns it re-encoded as a plain 8-bit PNG: what the PDF writer reads, and nothing of
// the upload's own bytes (metadata, trailing data) survives.
func CheckLogo(raw []byte) ([]byte, error) {
	if len(raw) > MaxLogoBytes {
		return nil, fmt.Errorf("the logo is %d KB; upload at most %d KB", len(raw)>>10, MaxLogoBytes>>10)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil || (format != "png" && format != "jpeg") {
		return nil, fmt.Errorf("the logo must be a PNG or JPEG image")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxLogoPixels || cfg.Height > maxLogoPixels {
		return nil, fmt.Errorf("the logo is %d×%d pixels; at most %d on each side", cfg.Width, cfg.Height, maxLogoPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the logo cannot be read as an image: %v", err)
	}
	rgba := image.NewNRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	var out bytes.Buffer
	if err := png.Encode(&out, rgba); err != nil {
		return nil, fmt.Errorf("the logo cannot be stored: %v", err)
	}
	return out.Bytes(), nil
}

// UpdateSettings validates and saves Settings → Reporting and audits what changed
// (the password masked, the logo as changed or removed).
func UpdateSettings(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, actor audit.Actor, in SettingsInput) error {
	errs := validation.Errors{}
	in.CompanyName = strings.TrimSpace(in.CompanyName)
	in.FooterText = strings.TrimSpace(in.FooterText)
	in.AccentColor = strings.ToLower(strings.TrimSpace(in.AccentColor))
	in.SMTPHost = strings.TrimSpace(in.SMTPHost)
	in.SMTPFrom = strings.TrimSpace(in.SMTPFrom)
	in.SMTPUsername = strings.TrimSpace(in.SMTPUsername)
	if len([]rune(in.CompanyName)) > maxTextLen {
		errs.Add("company_name", fmt.Sprintf("at most %d characters", maxTextLen))
	}
	if len([]rune(in.FooterText)) > maxTextLen {
		errs.Add("footer_text", fmt.Sprintf("at most %d characters", maxTextLen))
	}
	if !hexColor.MatchString(in.AccentColor) {
		errs.Add("accent_color", "enter a colour as #rrggbb, e.g. #1f5fa8")
	}
	var logo []byte
	if in.Logo != nil {
		var err error
		if logo, err = CheckLogo(in.Logo); err != nil {
			errs.Add("logo", err.Error())
		}
	}
	switch in.DeliveryChannel {
	case ChannelNone, ChannelGraph:
	case ChannelSMTP:
		if in.SMTPHost == "" {
			errs.Add("smtp_host", "enter the SMTP server's host name")
		}
		if _, err := mail.ParseAddress(in.SMTPFrom); err != nil {
			errs.Add("smtp_from", "enter the sender address, e.g. reports@msp.example")
		}
	default:
		errs.Add("delivery_channel", "choose how scheduled reports are sent")
	}
	if in.SMTPSecurity != "starttls" && in.SMTPSecurity != "tls" {
		errs.Add("smtp_security", "choose STARTTLS or TLS")
	}
	var port *int
	if p := strings.TrimSpace(in.SMTPPort); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			errs.Add("smtp_port", "enter a port between 1 and 65535, or leave it empty for the default")
		} else {
			port = &n
		}
	}
	retention, err := strconv.Atoi(strings.TrimSpace(in.FileRetentionDays))
	if err != nil || retention < 1 || retention > 365 {
		errs.Add("file_retention_days", "enter a number of days between 1 and 365")
	}
	var password []byte
	if in.SMTPPassword != "" {
		if password, err = keys.Encrypt([]byte(in.SMTPPassword)); err != nil {
			errs.Add("smtp_password", "could not encrypt this secret: "+err.Error())
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}

	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old := new(db.ReportSettings)
		if err := tx.NewSelect().Model(old).Where("id = 1").For("UPDATE").Scan(ctx); err != nil {
			return fmt.Errorf("reports: update settings: %w", err)
		}
		row := *old
		row.CompanyName, row.AccentColor, row.FooterText = in.CompanyName, in.AccentColor, in.FooterText
		row.DeliveryChannel, row.SMTPHost, row.SMTPPort, row.SMTPSecurity = in.DeliveryChannel, in.SMTPHost, port, in.SMTPSecurity
		row.SMTPUsername, row.SMTPFrom, row.FileRetentionDays = in.SMTPUsername, in.SMTPFrom, retention
		changes := map[string]any{}
		note := func(field string, before, after any) {
			if fmt.Sprint(before) != fmt.Sprint(after) {
				changes[field] = map[string]any{"old": before, "new": after}
			}
		}
		note("company_name", old.CompanyName, row.CompanyName)
		note("accent_color", old.AccentColor, row.AccentColor)
		note("footer_text", old.FooterText, row.FooterText)
		note("delivery_channel", old.DeliveryChannel, row.DeliveryChannel)
		note("smtp_host", old.SMTPHost, row.SMTPHost)
		note("smtp_port", intOr(old.SMTPPort), intOr(row.SMTPPort))
		note("smtp_security", old.SMTPSecurity, row.SMTPSecurity)
		note("smtp_username", old.SMTPUsername, row.SMTPUsername)
		note("smtp_from", old.SMTPFrom, row.SMTPFrom)
		note("file_retention_days", old.FileRetentionDays, row.FileRetentionDays)
		switch {
		case logo != nil:
			row.Logo, row.LogoType = logo, ptr("image/png")
			changes["logo"] = "uploaded"
		case in.RemoveLogo && old.Logo != nil:
			row.Logo, row.LogoType = nil, nil
			changes["logo"] = "removed"
		}
		switch {
		case password != nil:
			row.SMTPPassword = password
			changes["smtp_password"] = audit.Masked
		case in.ClearSMTPPassword && old.SMTPPassword != nil:
			row.SMTPPassword = nil
			changes["smtp_password"] = "cleared"
		}
		if actor.ID != 0 {
			row.UpdatedBy = &actor.ID
		}
		if _, err := tx.NewUpdate().Model(&row).WherePK().
			Column("company_name", "accent_color", "footer_text", "logo", "logo_type", "delivery_channel", "smtp_host",
				"smtp_port", "smtp_security", "smtp_username", "smtp_password", "smtp_from", "file_retention_days", "updated_by").
			Set("updated_at = now()").Exec(ctx); err != nil {
			return fmt.Errorf("reports: update settings: %w", err)
		}
		if len(changes) == 0 {
			return nil
		}
		return audit.Record(ctx, tx, actor, audit.SettingsUpdated, "reporting", changes)
	})
}

func intOr(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
