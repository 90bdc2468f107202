package ingest

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/settings"
)

// inUIZone returns reg reading reports in the UI timezone setting when their mail does
// not tell the sender's zone reliably (parsers.Mail.SenderLocation). The setting is
// read for every batch, so a change applies without a restart.
func inUIZone(ctx context.Context, idb bun.IDB, reg *parsers.Registry) (*parsers.Registry, error) {
	s, err := settings.Load(ctx, idb)
	if err != nil {
		return nil, err
	}
	return reg.In(settings.Location(s)), nil
}
