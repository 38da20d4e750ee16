//go:build unix

package fsstore

import (
	"io/fs"
	"syscall"
)

const openNonblock = syscall.O_NONBLOCK

func idOf(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), size: fi.Size(), mtimeNS: fi.ModTime().UnixNano()}, true
}
