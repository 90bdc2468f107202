package db

import "time"

// CoveSettings are the Cove Data Protection columns of the settings row (Settings →
// Integrations → Cove), embedded in SystemSettings.
type CoveSettings struct {
	CoveEnabled               bool       `bun:"cove_enabled"`
	CoveAPIURL                string     `bun:"cove_api_url"`
	CoveUsername              string     `bun:"cove_username"`
	CovePassword              []byte     `bun:"cove_password"` // encrypted
	CoveImportEnabled         bool       `bun:"cove_import_enabled"`
	CoveImportIntervalMinutes int        `bun:"cove_import_interval_minutes"`
	CovePartnerID             *int64     `bun:"cove_partner_id"`
	CoveCheckedAt             *time.Time `bun:"cove_checked_at"`
	CoveCheckResult           string     `bun:"cove_check_result"`
	CoveLastImportAt          *time.Time `bun:"cove_last_import_at"`
	CoveLastImportResult      string     `bun:"cove_last_import_result"`
	CoveLastImportFailed      bool       `bun:"cove_last_import_failed"`
	CoveOfflineEnabled        bool       `bun:"cove_offline_enabled"`
	CoveOfflineWarningDays    int        `bun:"cove_offline_warning_days"`
	CoveOfflineFailedDays     int        `bun:"cove_offline_failed_days"`
}
