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
