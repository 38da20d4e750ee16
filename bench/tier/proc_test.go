package tier

import (
	"errors"
	"os"
	"testing"
)

func TestParseMemStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    MemStatus
		wantErr bool
	}{
		{name: "linux status excerpt", in: "Name:\tstrata\nVmPeak:\t 1282704 kB\nVmHWM:\t  190932 kB\nVmRSS:\t  151240 kB\nRssAnon:\t  140000 kB\n",
			want: MemStatus{RSS: 151240 << 10, HWM: 190932 << 10}},
		{name: "kernel thread order", in: "VmRSS:\t0 kB\nVmHWM:\t0 kB", want: MemStatus{}},
		{name: "no VmHWM", in: "VmRSS:\t 10 kB\n", wantErr: true},
		{name: "no memory lines (a zombie)", in: "Name:\tstrata\nState:\tZ (zombie)\n", wantErr: true},
		{name: "unit other than kB", in: "VmRSS:\t 10 MB\nVmHWM:\t 10 kB\n", wantErr: true},
		{name: "negative", in: "VmRSS:\t -10 kB\nVmHWM:\t 10 kB\n", wantErr: true},
		{name: "overflowing", in: "VmRSS:\t 99999999999999999 kB\nVmHWM:\t 10 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMemStatus(tt.in)
			if tt.wantErr {
				if !errors.Is(err, errStatus) {
					t.Fatalf("parseMemStatus = %+v, %v; want errStatus", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseMemStatus = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestReadMemStatusOfThisProcess(t *testing.T) {
	m, err := readMemStatus(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("readMemStatus(self) = %+v, want 0 < RSS ≤ HWM", m)
	}
}

// FuzzParseMemStatus: any text is refused with errStatus or read into
// non-negative sizes.
func FuzzParseMemStatus(f *testing.F) {
	f.Add("VmHWM:\t  190932 kB\nVmRSS:\t  151240 kB\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := parseMemStatus(text)
		if err != nil {
			if !errors.Is(err, errStatus) {
				t.Fatalf("error %v does not wrap errStatus", err)
			}
			return
		}
		if m.RSS < 0 || m.HWM < 0 {
			t.Fatalf("negative sizes %+v from %q", m, text)
		}
	})
}
