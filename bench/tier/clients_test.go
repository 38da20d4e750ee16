package tier

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestCompareBody(t *testing.T) {
	want := bytes.Repeat([]byte("strata"), 100_000) // 600 kB: several reads
	changed := bytes.Clone(want)
	changed[len(changed)-1] ^= 1
	tests := []struct {
		name    string
		body    io.Reader
		wantErr error // nil, errBodyDiffers or a read error
	}{
		{name: "equal", body: bytes.NewReader(want)},
		{name: "short, one byte per read", body: iotest.OneByteReader(bytes.NewReader(want[:1000])), wantErr: errBodyDiffers},
		{name: "last byte differs", body: bytes.NewReader(changed), wantErr: errBodyDiffers},
		{name: "short", body: bytes.NewReader(want[:len(want)-1]), wantErr: errBodyDiffers},
		{name: "long", body: io.MultiReader(bytes.NewReader(want), bytes.NewReader([]byte("x"))), wantErr: errBodyDiffers},
		{name: "empty", body: bytes.NewReader(nil), wantErr: errBodyDiffers},
		{name: "read error", body: iotest.TimeoutReader(bytes.NewReader(want)), wantErr: iotest.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := compareBody(tt.body, want)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("compareBody = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("compareBody = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if err := compareBody(iotest.OneByteReader(bytes.NewReader(want[:1000])), want[:1000]); err != nil {
		t.Errorf("compareBody one byte at a time = %v, want nil", err)
	}
}
