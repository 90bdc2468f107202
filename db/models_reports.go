package db

import (
	"time"

	"github.com/uptrace/bun"
)

// ReportDefinition is a saved customer report (migration 0021).
type ReportDefinition struct {
	bun.BaseModel `bun:"table:report_definitions"`

	ID             int64      `bun:"id,pk,autoincrement"`
	Name           string     `bun:"name"`
	AllCustomers   bool       `bun:"all_customers"`
	CustomerIDs    []int64    `bun:"customer_ids,array"`
	BackupSoftware []string   `bun:"backup_software,array"`
	BackupTypes    []string   `bun:"backup_types,array"`
	Period         string     `bun:"period"`
	CustomFrom     *time.Time `bun:"custom_from,type:date"`
	CustomTo       *time.Time `bun:"custom_to,type:date"`
	ShowJobs       bool       `bun:"show_jobs"`
	ShowGrid       bool       `bun:"show_grid"`
	ShowTrend      bool       `bun:"show_trend"`
	ShowFailures   bool       `bun:"show_failures"`
	Schedule       string     `bun:"schedule"`
	NextPeriodFrom *time.Time `bun:"next_period_from,type:date"`
	CreatedBy      *int64     `bun:"created_by"`
	UpdatedBy      *int64     `bun:"updated_by"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt      time.Time  `bun:"updated_at,nullzero,default:now()"`
}

// ReportRecipient is an address a scheduled report goes to; CustomerID nil is an MSP
// copy that receives every customer's report.
type ReportRecipient struct {
	bun.BaseModel `bun:"table:report_recipients"`

	ID           int64  `bun:"id,pk,autoincrement"`
	DefinitionID int64  `bun:"definition_id"`
	CustomerID   *int64 `bun:"customer_id"`
	Email        string `bun:"email"`
}

// ReportDelivery is one mail of a scheduled report and what became of it.
type ReportDelivery struct {
	bun.BaseModel `bun:"table:report_deliveries"`

	ID           int64      `bun:"id,pk,autoincrement"`
	DefinitionID int64      `bun:"definition_id"`
	CustomerID   *int64     `bun:"customer_id"`
	CustomerName string     `bun:"customer_name"`
	Recipients   []string   `bun:"recipients,array"`
	PeriodFrom   time.Time  `bun:"period_from,type:date"`
	PeriodTo     time.Time  `bun:"period_to,type:date"`
	Channel      string     `bun:"channel"`
	Status       string     `bun:"status"`
	Attempts     int        `bun:"attempts"`
	LastError    string     `bun:"last_error"`
	CreatedAt    time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt    time.Time  `bun:"updated_at,nullzero,default:now()"`
	SentAt       *time.Time `bun:"sent_at"`
}

// ReportFile is a generated report kept for download until ExpiresAt.
type ReportFile struct {
	bun.BaseModel `bun:"table:report_files"`

	ID           int64     `bun:"id,pk,autoincrement"`
	DefinitionID *int64    `bun:"definition_id"`
	TaskID       *int64    `bun:"task_id"`
	Filename     string    `bun:"filename"`
	ContentType  string    `bun:"content_type"`
	Size         int64     `bun:"size"`
	Data         []byte    `bun:"data"`
	PeriodFrom   time.Time `bun:"period_from,type:date"`
	PeriodTo     time.Time `bun:"period_to,type:date"`
	CreatedBy    *int64    `bun:"created_by"`
	CreatedAt    time.Time `bun:"created_at,nullzero,default:now()"`
	ExpiresAt    time.Time `bun:"expires_at"`
}

// ReportSettings is the single row of Settings → Reporting.
type ReportSettings struct {
	bun.BaseModel `bun:"table:report_settings"`

	ID                int16     `bun:"id,pk"`
	CompanyName       string    `bun:"company_name"`
	Logo              []byte    `bun:"logo"`
	LogoType          *string   `bun:"logo_type"`
	AccentColor       string    `bun:"accent_color"`
	FooterText        string    `bun:"footer_text"`
	DeliveryChannel   string    `bun:"delivery_channel"`
	SMTPHost          string    `bun:"smtp_host"`
	SMTPPort          *int      `bun:"smtp_port"`
	SMTPSecurity      string    `bun:"smtp_security"`
	SMTPUsername      string    `bun:"smtp_username"`
	SMTPPassword      []byte    `bun:"smtp_password"` // encrypted
	SMTPFrom          string    `bun:"smtp_from"`
	FileRetentionDays int       `bun:"file_retention_days"`
	UpdatedAt         time.Time `bun:"updated_at,nullzero,default:now()"`
	UpdatedBy         *int64    `bun:"updated_by"`
}
