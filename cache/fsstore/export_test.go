package fsstore

// HashCount reports how many times s read a whole file to hash it.
func HashCount(s *Store) int64 { return s.hashed.Load() }
