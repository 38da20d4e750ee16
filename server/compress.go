package server

import (
	"bytes"
	"compress/gzip"
	"fmt"

	"github.com/andybalholm/brotli"

	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/server/httpsem"
)

// minSaving is the fraction a variant must save to be worth a Content-Encoding:
// a variant that saves less costs clients a decode for nothing.
const minSaving = 0.05

// variant returns meta's bytes in encoding enc, made once per object version
// and kept in the tier beside its chunks. An empty result means the encoding
// does not pay for this object, and identity is served.
func (s *Server) variant(meta *cache.Meta, enc httpsem.Encoding) ([]byte, error) {
	level := s.cfg.GzipLevel
	if enc == httpsem.Brotli {
		level = s.cfg.BrotliQuality
	}
	name := fmt.Sprintf("%s-%d", enc.String(), level)
	return s.tier.Derived(s.base, meta, name, s.cfg.CompressMaxBytes, func(identity []byte) ([]byte, error) {
		out, err := compress(identity, enc, level)
		if err != nil {
			return nil, err
		}
		if float64(len(out)) > float64(len(identity))*(1-minSaving) {
			return []byte{}, nil
		}
		return out, nil
	})
}

// compress encodes b whole; it runs once per object version, never per request.
func compress(b []byte, enc httpsem.Encoding, level int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(b) / 3)
	switch enc {
	case httpsem.Brotli:
		w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: level, LGWin: 22})
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case httpsem.Gzip:
		w, err := gzip.NewWriterLevel(&buf, level)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("no encoder for %s", enc)
	}
	return buf.Bytes(), nil
}
