package db

import (
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// Roles a user can hold.
const (
	RoleAdmin    = "admin"
	RoleOperator = "operator"
	RoleViewer   = "viewer"
	RoleReporter = "reporter"
)

// AllRoles lists the roles in the order the UI shows them.
var AllRoles = []string{RoleAdmin, RoleOperator, RoleViewer, RoleReporter}

// User is a local account.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID           int64      `bun:"id,pk,autoincrement"`
	Username     string     `bun:"username"`
	DisplayName  string     `bun:"display_name"`
	Email        string     `bun:"email"`
	PasswordHash string     `bun:"password_hash"`
	Roles        []string   `bun:"roles,array"`
	ActiveRole   string     `bun:"active_role"`
	Theme        string     `bun:"theme"`
	IsActive     bool       `bun:"is_active"`
	CreatedAt    time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt    time.Time  `bun:"updated_at,nullzero,default:now()"`
	LastLoginAt  *time.Time `bun:"last_login_at"`
	// The Entra account the user signs in with (tenant ID and object ID), once linked.
	EntraTenantID *string `bun:"entra_tenant_id"`
	EntraOID      *string `bun:"entra_oid"`
}

// HasRole reports whether the user holds role.
func (u *User) HasRole(role string) bool {
	for _, r := range u.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Name is how the user is shown: the display name, else the username.
func (u *User) Name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}

// Session is a server-side login session; the cookie holds the token, the row its hash.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	TokenHash  []byte    `bun:"token_hash,pk"`
	UserID     int64     `bun:"user_id"`
	CreatedAt  time.Time `bun:"created_at,nullzero,default:now()"`
	LastSeenAt time.Time `bun:"last_seen_at,nullzero,default:now()"`
	ExpiresAt  time.Time `bun:"expires_at"`
	IP         string    `bun:"ip"`
	UserAgent  string    `bun:"user_agent"`

	User *User `bun:"rel:belongs-to,join:user_id=id"`
}

// SystemSettings is the single settings row.
type SystemSettings struct {
	bun.BaseModel `bun:"table:system_settings"`

	ID                  int16     `bun:"id,pk"`
	UITimezone          string    `bun:"ui_timezone"`
	LoginCaptchaEnabled bool      `bun:"login_captcha_enabled"`
	SandboxEnabled      bool      `bun:"sandbox_enabled"`
	UpdatedAt           time.Time `bun:"updated_at,nullzero,default:now()"`
	UpdatedBy           *int64    `bun:"updated_by"`

	MailSource                string     `bun:"mail_source"`
	MailImportEnabled         bool       `bun:"mail_import_enabled"`
	MailImportIntervalMinutes int        `bun:"mail_import_interval_minutes"`
	MailImportBatchSize       int        `bun:"mail_import_batch_size"`
	GraphTenantID             string     `bun:"graph_tenant_id"`
	GraphClientID             string     `bun:"graph_client_id"`
	GraphClientSecret         []byte     `bun:"graph_client_secret"` // encrypted
	GraphMailbox              string     `bun:"graph_mailbox"`
	GraphSourceFolder         string     `bun:"graph_source_folder"`
	GraphProcessedFolder      string     `bun:"graph_processed_folder"`
	IMAPHost                  string     `bun:"imap_host"`
	IMAPPort                  *int       `bun:"imap_port"`
	IMAPSecurity              string     `bun:"imap_security"`
	IMAPUsername              string     `bun:"imap_username"`
	IMAPPassword              []byte     `bun:"imap_password"` // encrypted
	IMAPFolder                string     `bun:"imap_folder"`
	IMAPProcessedFolder       string     `bun:"imap_processed_folder"`
	MailLastImportAt          *time.Time `bun:"mail_last_import_at"`
	MailLastImportResult      string     `bun:"mail_last_import_result"`

	AutotaskEnabled            bool              `bun:"autotask_enabled"`
	AutotaskEnvironment        string            `bun:"autotask_environment"`
	AutotaskUsername           string            `bun:"autotask_username"`
	AutotaskSecret             []byte            `bun:"autotask_secret"`           // encrypted
	AutotaskIntegrationCode    []byte            `bun:"autotask_integration_code"` // encrypted
	AutotaskTrackingIdentifier string            `bun:"autotask_tracking_identifier"`
	AutotaskBaseURL            string            `bun:"autotask_base_url"`
	AutotaskCheckedAt          *time.Time        `bun:"autotask_checked_at"`
	AutotaskCheckResult        string            `bun:"autotask_check_result"`
	AutotaskQueueID            *int64            `bun:"autotask_queue_id"`
	AutotaskSourceID           *int64            `bun:"autotask_source_id"`
	AutotaskPriorityID         *int64            `bun:"autotask_priority_id"`
	AutotaskStatusID           *int64            `bun:"autotask_status_id"`
	AutotaskReference          AutotaskReference `bun:"autotask_reference,type:jsonb"`
	AutotaskReferenceAt        *time.Time        `bun:"autotask_reference_at"`

	// Veeam Cloud Connect rules (app/cloudconnect); nil: off.
	CloudConnectQuotaPercent *int `bun:"cloud_connect_quota_percent"`
	CloudConnectInactiveDays *int `bun:"cloud_connect_inactive_days"`
	CoveSettings
	// AuditRetentionDays: audit entries older than this are deleted (app/audit).
	AuditRetentionDays int `bun:"audit_retention_days"`
	// Data retention (app/retention reads and writes these).
	RetentionYears      int        `bun:"retention_years"`
	RetentionLastRunAt  *time.Time `bun:"retention_last_run_at"`
	RetentionLastResult string     `bun:"retention_last_result"`
}

// BackgroundTask is long-running work started from the UI, with its progress.
type BackgroundTask struct {
	bun.BaseModel `bun:"table:background_tasks"`

	ID         int64      `bun:"id,pk,autoincrement"`
	Kind       string     `bun:"kind"`
	Status     string     `bun:"status"`
	Total      *int       `bun:"total"`
	Done       int        `bun:"done"`
	Message    string     `bun:"message"`
	StartedBy  *int64     `bun:"started_by"`
	CreatedAt  time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt  time.Time  `bun:"updated_at,nullzero,default:now()"`
	FinishedAt *time.Time `bun:"finished_at"`
	// HeartbeatAt is touched by the worker while the task runs.
	HeartbeatAt *time.Time `bun:"heartbeat_at"`
	// Interrupted: running, but its worker stopped beating (read by tasks.Get/Latest).
	Interrupted bool `bun:"interrupted,scanonly"`
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID        int64          `bun:"id,pk,autoincrement"`
	At        time.Time      `bun:"at,nullzero,default:now()"`
	ActorID   *int64         `bun:"actor_id"`
	ActorName string         `bun:"actor_name"`
	Action    string         `bun:"action"`
	Target    string         `bun:"target"`
	IP        string         `bun:"ip"`
	Details   map[string]any `bun:"details,type:jsonb"`
}

// AutotaskReference caches the Autotask ticket picklists (field name → choices) that
// the ticket defaults are picked from.
type AutotaskReference map[string][]AutotaskChoice

// AutotaskChoice is one picklist choice.
type AutotaskChoice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Label names the choice with value id, or "" when the cache does not have it.
func (r AutotaskReference) Label(field string, id *int64) string {
	if id == nil {
		return ""
	}
	for _, c := range r[field] {
		if c.Value == strconv.FormatInt(*id, 10) {
			return c.Label
		}
	}
	return ""
}
