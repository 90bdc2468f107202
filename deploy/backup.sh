#!/bin/sh
# The backup service of backupchecks-stack.yml: pg_dump (custom format) every
# BACKUP_INTERVAL_HOURS into /backups, and, after each dump that succeeded, removes dumps
# older than BACKUP_KEEP_DAYS days. A failed dump removes nothing. Connection settings
# come from PGHOST, PGUSER, PGPASSWORD and PGDATABASE.
set -eu

interval_hours=${BACKUP_INTERVAL_HOURS:-24}
keep_days=${BACKUP_KEEP_DAYS:-14}

while :; do
	file=/backups/backupchecks-$(date -u +%Y%m%dT%H%M%SZ).dump
	if pg_dump --format=custom --file="$file.partial"; then
		mv "$file.partial" "$file"
		echo "backup: wrote $file ($(du -h "$file" | cut -f1))"
		find /backups -name 'backupchecks-*.dump' -mtime +"$keep_days" -print -delete | sed 's/^/backup: removed /'
	else
		rm -f "$file.partial"
		echo "backup: pg_dump failed; older dumps kept" >&2
	fi
	sleep $((interval_hours * 3600))
done
