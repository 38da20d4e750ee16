package s3store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/strata3d/strata/cache/s3store"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	valid := func() s3store.Config {
		c := s3store.DefaultConfig()
		c.Bucket = "assets"
		return c
	}
	tests := []struct {
		name    string
		edit    func(*s3store.Config)
		wantErr string // substring; "" for valid
	}{
		{"defaults with a bucket", func(*s3store.Config) {}, ""},
		{"prefix without slash", func(c *s3store.Config) { c.Prefix = "assets" }, ""},
		{"nested prefix", func(c *s3store.Config) { c.Prefix = "a/b/" }, ""},
		{"custom endpoint", func(c *s3store.Config) { c.Endpoint = "http://127.0.0.1:7070"; c.PathStyle = true }, ""},
		{"https endpoint", func(c *s3store.Config) { c.Endpoint = "https://s3.example.com" }, ""},
		{"legacy bucket name", func(c *s3store.Config) { c.Bucket = "My_Old_Bucket" }, ""},
		{"no spool memory", func(c *s3store.Config) { c.SpoolMemory = 0 }, ""},
		{"no bucket", func(c *s3store.Config) { c.Bucket = "" }, "bucket is required"},
		{"bucket with slash", func(c *s3store.Config) { c.Bucket = "a/b" }, "not a valid bucket"},
		{"bucket too short", func(c *s3store.Config) { c.Bucket = "ab" }, "not a valid bucket"},
		{"prefix with leading slash", func(c *s3store.Config) { c.Prefix = "/assets" }, "prefix"},
		{"prefix only a slash", func(c *s3store.Config) { c.Prefix = "/" }, "prefix"},
		{"prefix with dot-dot", func(c *s3store.Config) { c.Prefix = "a/../b" }, "prefix"},
		{"prefix with double slash", func(c *s3store.Config) { c.Prefix = "a//" }, "prefix"},
		{"no region", func(c *s3store.Config) { c.Region = "" }, "region"},
		{"endpoint without scheme", func(c *s3store.Config) { c.Endpoint = "127.0.0.1:7070" }, "endpoint"},
		{"endpoint with other scheme", func(c *s3store.Config) { c.Endpoint = "ftp://host" }, "endpoint"},
		{"zero attempts", func(c *s3store.Config) { c.MaxRetries = 0 }, "max retries"},
		{"zero backoff", func(c *s3store.Config) { c.RetryMaxBackoff = 0 }, "backoff"},
		{"zero dial timeout", func(c *s3store.Config) { c.DialTimeout = 0 }, "dial timeout"},
		{"zero header timeout", func(c *s3store.Config) { c.ResponseHeaderTimeout = 0 }, "header timeout"},
		{"no idle connections", func(c *s3store.Config) { c.MaxIdleConnsPerHost = 0 }, "idle"},
		{"negative spool", func(c *s3store.Config) { c.SpoolMemory = -1 }, "spool"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate() = %v, want an error mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestConfigValidateReportsEverything(t *testing.T) {
	t.Parallel()
	c := s3store.Config{}
	err := c.Validate()
	if err == nil {
		t.Fatal("zero Config is valid")
	}
	for _, want := range []string{"bucket", "region", "max retries", "dial timeout", "idle"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, missing the %s problem", err, want)
		}
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	if _, err := s3store.New(context.Background(), s3store.DefaultConfig()); err == nil {
		t.Error("New accepted a config without a bucket")
	}
}
