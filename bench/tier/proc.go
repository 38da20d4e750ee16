package tier

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// MemStatus is a process's memory as the kernel counts it in
// /proc/PID/status: what the target is about, whatever Go thinks it holds.
type MemStatus struct {
	// RSS is VmRSS: resident memory now, in bytes.
	RSS int64 `json:"rss_bytes"`
	// HWM is VmHWM: the peak resident memory since the process started.
	HWM int64 `json:"hwm_bytes"`
}

var errStatus = errors.New("unrecognised /proc status")

// readMemStatus reads /proc/pid/status.
func readMemStatus(pid int) (MemStatus, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return MemStatus{}, fmt.Errorf("tier: %w", err)
	}
	m, err := parseMemStatus(string(b))
	if err != nil {
		return MemStatus{}, fmt.Errorf("tier: /proc/%d/status: %w", pid, err)
	}
	return m, nil
}

// parseMemStatus reads the VmRSS and VmHWM lines ("VmRSS:\t  51234 kB");
// both are required.
func parseMemStatus(text string) (MemStatus, error) {
	var m MemStatus
	var haveRSS, haveHWM bool
	for _, line := range strings.Split(text, "\n") {
		key, rest, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("%w: %q", errStatus, line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		// 2^43 kB is 8 PiB: no process holds that, and the product fits int64.
		if err != nil || kb < 0 || kb > 1<<43 {
			return m, fmt.Errorf("%w: %q", errStatus, line)
		}
		if key == "VmRSS" {
			m.RSS, haveRSS = kb<<10, true
		} else {
			m.HWM, haveHWM = kb<<10, true
		}
	}
	if !haveRSS || !haveHWM {
		return m, fmt.Errorf("%w: no VmRSS or VmHWM line", errStatus)
	}
	return m, nil
}
