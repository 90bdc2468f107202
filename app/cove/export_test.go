package cove

// ImportLockKey is the import's advisory lock, for tests that hold it.
func ImportLockKey() int64 { return importLockKey }
