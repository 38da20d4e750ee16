//go:build !linux

package fsstore

import (
	"errors"
	"io/fs"
	"os"
)

var errXattrUnsupported = errors.New("user xattrs unsupported")

func readXattr(*os.File, fs.FileInfo) (string, bool) { return "", false }

func writeXattr(*os.File, fs.FileInfo, string) error { return errXattrUnsupported }
