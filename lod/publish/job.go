package publish

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// State is where a job is.
type State string

// The states of a job. Queued and Running jobs found in the store when a
// publisher starts are resumed.
const (
	Queued  State = "queued"
	Running State = "running"
	Done    State = "done"
	Failed  State = "failed"
)

// Terminal reports whether a job in state s will not change any more.
func (s State) Terminal() bool { return s == Done || s == Failed }

// Job is the record of one publish, kept in the store as JSON and returned
// by the admin API as it is.
type Job struct {
	ID    string `json:"job"`
	Model string `json:"id"`
	State State  `json:"state"`
	// Source describes the stored original.
	Source Source `json:"source"`
	// Uploaded orders the publishes of one model: the newest upload wins
	// the pointer.
	Uploaded time.Time  `json:"uploaded"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	// Attempts counts runs, retries after store failures included.
	Attempts int `json:"attempts"`
	// Version is the content hash under which the outputs are stored
	// (models/{id}/{version}/), set once baked.
	Version string `json:"version,omitempty"`
	// Manifest is the pointer's URL path once the job is done.
	Manifest string `json:"manifest,omitempty"`
	// Levels and the progressive file's size, for a quick look.
	Levels      int `json:"levels,omitempty"`
	Progressive int `json:"progressiveBytes,omitempty"`
	// Timings in milliseconds.
	Timings Timings `json:"timings"`
	// Error says why a job failed, in the words given to the uploader.
	Error    *JobError `json:"error,omitempty"`
	Warnings []string  `json:"warnings,omitempty"`
}

// Source describes a stored original.
type Source struct {
	// Name is the document's file name.
	Name string `json:"name"`
	// Files lists the original's files, document first, with their sizes;
	// each is stored at .strata/publish/originals/{job}/{name}.
	Files []SourceFile `json:"files"`
	Bytes int64        `json:"bytes"`
}

// SourceFile is one stored file of an original.
type SourceFile struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// Timings of a job, in milliseconds.
type Timings struct {
	QueuedMS int64 `json:"queuedMs"`
	BakeMS   int64 `json:"bakeMs,omitempty"`
	StoreMS  int64 `json:"storeMs,omitempty"`
	TotalMS  int64 `json:"totalMs,omitempty"`
}

// JobError is a failed job's problem, as an RFC 9457 problem would show it.
type JobError struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// newJobID returns a random job id: 24 lowercase hex digits (96 bits).
func newJobID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidJobID reports whether s has the form of a job id.
func ValidJobID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

func encodeJob(j *Job) []byte {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("publish: encoding a job: %v", err)) // only plain fields
	}
	return append(b, '\n')
}

func decodeJob(b []byte) (*Job, error) {
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	if !ValidJobID(j.ID) || ValidID(j.Model) != nil {
		return nil, fmt.Errorf("job record names job %q of model %q", j.ID, j.Model)
	}
	return &j, nil
}
