package db

import "io/fs"

func MigrationCount() (int, error) {
	m, err := fs.Glob(migrationFiles, "migrations/*.up.sql")
	return len(m), err
}
