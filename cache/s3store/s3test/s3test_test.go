package s3test

import (
	"regexp"
	"strings"
	"testing"
)

// validBucket is S3's rule for new bucket names (no dots, which we never emit).
var validBucket = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

func TestBucketName(t *testing.T) {
	tests := []struct {
		name     string
		testName string
	}{
		{"plain", "TestContract"},
		{"subtest", "TestContract/PutStatGetRoundTrip"},
		{"symbols", "TestX/if-match_hit,_cold memo#01"},
		{"unicode", "TestÜber/日本"},
		{"long", "Test" + strings.Repeat("VeryLongName", 20)},
		{"trailing separator at cut", "Test" + strings.Repeat("a", 40) + "/" + strings.Repeat("b", 20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := bucketName(tc.testName)
			if !validBucket.MatchString(got) || strings.Contains(got, "--") {
				t.Errorf("bucketName(%q) = %q, not a clean bucket name", tc.testName, got)
			}
			if again := bucketName(tc.testName); again == got {
				t.Errorf("bucketName(%q) gave %q twice", tc.testName, got)
			}
		})
	}
}
