package db

import (
	"time"

	"github.com/uptrace/bun"
)

// Mail locations.
const (
	LocationInbox     = "inbox"
	LocationProcessed = "processed"
	LocationDeleted   = "deleted"
)

// Mail sources.
const (
	SourceGraph  = "graph"
	SourceIMAP   = "imap"
	SourceUpload = "upload"
	SourceCLI    = "cli"
)

// MailMessage is an imported mail with its raw MIME, decoded bodies and parse result.
type MailMessage struct {
	bun.BaseModel `bun:"table:mail_messages"`

	ID                 int64      `bun:"id,pk,autoincrement"`
	Source             string     `bun:"source"`
	SourceID           *string    `bun:"source_id"`
	MessageID          *string    `bun:"message_id"`
	Size               int64      `bun:"size"`
	RawMIME            []byte     `bun:"raw_mime"`
	SkippedAttachments []any      `bun:"skipped_attachments,type:jsonb"`
	Truncated          bool       `bun:"truncated"` // raw_mime cut off at the size limit; not parsed
	FromAddress        *string    `bun:"from_address"`
	Subject            *string    `bun:"subject"`
	TextBody           *string    `bun:"text_body"`
	HTMLBody           *string    `bun:"html_body"`
	ReceivedAt         time.Time  `bun:"received_at"`
	Location           string     `bun:"location"`
	JobID              *int64     `bun:"job_id"`
	DeletedAt          *time.Time `bun:"deleted_at"`
	DeletedBy          *int64     `bun:"deleted_by"`

	ParserName           *string    `bun:"parser_name"`
	ParsedBackupSoftware *string    `bun:"parsed_backup_software"`
	ParsedBackupType     *string    `bun:"parsed_backup_type"`
	ParsedJobName        *string    `bun:"parsed_job_name"`
	ParsedStatus         *string    `bun:"parsed_status"`
	ParsedStartedAt      *time.Time `bun:"parsed_started_at"`
	ParsedEndedAt        *time.Time `bun:"parsed_ended_at"`
	ParsedHost           *string    `bun:"parsed_host"`
	ParsedMessage        *string    `bun:"parsed_message"`
	ParsedInformational  bool       `bun:"parsed_informational"`
	ParseError           *string    `bun:"parse_error"`
	ParsedAt             *time.Time `bun:"parsed_at"`
	ParsedReportKey      *string    `bun:"parsed_report_key"` // the report's own identity (dedup of copies)
	ParsedTimeNote       *string    `bun:"parsed_time_note"`  // why the run's times are not the report's

	CreatedAt time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt time.Time `bun:"updated_at,nullzero,default:now()"`
}

// MailObject is an object the parser found in a mail.
type MailObject struct {
	bun.BaseModel `bun:"table:mail_objects"`

	ID            int64   `bun:"id,pk,autoincrement"`
	MailMessageID int64   `bun:"mail_message_id"`
	ObjectName    string  `bun:"object_name"`
	ObjectType    string  `bun:"object_type"`
	Status        *string `bun:"status"`
	ErrorMessage  *string `bun:"error_message"`
}

// Customer is one of the MSP's customers.
type Customer struct {
	bun.BaseModel `bun:"table:customers"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Name      string    `bun:"name"`
	Active    bool      `bun:"active"`
	CreatedAt time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt time.Time `bun:"updated_at,nullzero,default:now()"`
}

// Job is one backup job of one customer.
type Job struct {
	bun.BaseModel `bun:"table:jobs"`

	ID             int64      `bun:"id,pk,autoincrement"`
	CustomerID     int64      `bun:"customer_id"`
	JobName        string     `bun:"job_name"`
	BackupSoftware string     `bun:"backup_software"`
	BackupType     string     `bun:"backup_type"`
	FromAddress    *string    `bun:"from_address"`
	CoveAccountID  *int64     `bun:"cove_account_id"`
	Active         bool       `bun:"active"`
	ArchivedAt     *time.Time `bun:"archived_at"`
	Informational  bool       `bun:"informational"`

	// The schedule (typed jsonb, see Schedule); nil: nothing learned / none set.
	LearnedSchedule      *Schedule  `bun:"learned_schedule,type:jsonb"`
	ScheduleLearnedAt    *time.Time `bun:"schedule_learned_at"`
	ManualSchedule       *Schedule  `bun:"manual_schedule,type:jsonb"`
	ScheduleLocked       bool       `bun:"schedule_locked"` // the manual schedule applies whatever is learned
	ScheduleGraceMinutes *int       `bun:"schedule_grace_minutes"`

	UnreviewedCount       int        `bun:"unreviewed_count"`
	WorstUnreviewedStatus *string    `bun:"worst_unreviewed_status"`
	LastRunAt             *time.Time `bun:"last_run_at"`
	LastRunStatus         *string    `bun:"last_run_status"`

	CreatedAt time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt time.Time `bun:"updated_at,nullzero,default:now()"`
}

// Run statuses.
const (
	StatusSuccess = "Success"
	StatusWarning = "Warning"
	StatusFailed  = "Failed"
	StatusMissed  = "Missed"
	StatusInfo    = "Info"
)

// JobRun is one run of a job.
type JobRun struct {
	bun.BaseModel `bun:"table:job_runs"`

	ID            int64      `bun:"id,pk,autoincrement"`
	JobID         int64      `bun:"job_id"`
	Status        string     `bun:"status"`
	SourceType    *string    `bun:"source_type"`
	ExternalID    *string    `bun:"external_id"`
	RunAt         time.Time  `bun:"run_at"`
	StartedAt     *time.Time `bun:"started_at"`
	EndedAt       *time.Time `bun:"ended_at"`
	MailMessageID *int64     `bun:"mail_message_id"`
	Host          *string    `bun:"host"`
	Message       *string    `bun:"message"`
	ReviewedAt    *time.Time `bun:"reviewed_at"`
	ReviewedBy    *int64     `bun:"reviewed_by"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
}

// InlineDownloadType is the content type of an inline part that is not a raster image:
// it is only ever served as a download.
const InlineDownloadType = "application/octet-stream"

// MailInlinePart is a part of a mail that its HTML can show through a cid: URL,
// extracted at import.
type MailInlinePart struct {
	bun.BaseModel `bun:"table:mail_inline_parts"`

	MailMessageID int64  `bun:"mail_message_id,pk"`
	ContentID     string `bun:"content_id,pk"` // without angle brackets
	// What the bytes were checked to be: image/png, image/jpeg, image/gif, image/webp or
	// InlineDownloadType; never the type the mail declared.
	ContentType string `bun:"content_type"`
	Filename    string `bun:"filename"`
	Data        []byte `bun:"data"`
}
