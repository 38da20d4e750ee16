package server

// HotEntries counts the objects the hot table holds prepared answers for.
func HotEntries(s *Server) int {
	n := 0
	for i := range s.hot.slots {
		if s.hot.slots[i].Load() != nil {
			n++
		}
	}
	return n
}

// HotSlots counts the distinct table slots of rawKeys: the table is
// direct-mapped, so two paths may share one and keep only the later.
func HotSlots(s *Server, rawKeys ...string) int {
	slots := map[any]bool{}
	for _, k := range rawKeys {
		slots[s.hot.slot([]byte(k))] = true
	}
	return len(slots)
}

// OpenFiles counts the object files held open for sendfile.
func OpenFiles(s *Server) int64 { return s.openFiles.Load() }
