//go:build !unix

package fsstore

import "io/fs"

const openNonblock = 0

func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }
