package fsstore

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

var errXattrUnsupported = errors.New("user xattrs unsupported")

func readXattr(f *os.File, fi fs.FileInfo) (string, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return "", false
	}
	var buf [128]byte
	n := -1
	rc.Control(func(fd uintptr) {
		n, err = unix.Fgetxattr(int(fd), xattrName, buf[:])
	})
	if err != nil || n < 0 {
		return "", false
	}
	return parseXattr(string(buf[:n]), fi)
}

func writeXattr(f *os.File, fi fs.FileInfo, etag string) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	cerr := rc.Control(func(fd uintptr) {
		err = unix.Fsetxattr(int(fd), xattrName, []byte(formatXattr(fi, etag)), 0)
	})
	if cerr != nil {
		return cerr
	}
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
		return errXattrUnsupported
	}
	return err
}
