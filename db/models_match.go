package db

import (
	"time"

	"github.com/uptrace/bun"
)

// JobMatchRule says which mails of a product no parser knows belong to a job: those
// from FromAddress whose subject matches SubjectPattern (* is any text).
type JobMatchRule struct {
	bun.BaseModel `bun:"table:job_match_rules"`

	ID             int64     `bun:"id,pk,autoincrement"`
	JobID          int64     `bun:"job_id"`
	FromAddress    string    `bun:"from_address"`
	SubjectPattern string    `bun:"subject_pattern"`
	CreatedAt      time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt      time.Time `bun:"updated_at,nullzero,default:now()"`
}
