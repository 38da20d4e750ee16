package storefront_test

import (
	"strings"
	"testing"

	"github.com/strata3d/strata/storefront"
)

var cheap = storefront.PasswordConfig{MemoryKiB: 64, Iterations: 1, Parallelism: 1, InsecureLowCost: true}

func TestHashAndVerify(t *testing.T) {
	h, err := storefront.HashPassword("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := storefront.HashPassword("correct horse", cheap)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct horsE", false}, {"", false}, {"correct horse ", false}} {
		ok, err := storefront.VerifyPassword(tc.pw, h)
		if err != nil || ok != tc.want {
			t.Errorf("verify %q: %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
}

func TestDefaultPasswordCostIsOWASP(t *testing.T) {
	c := storefront.DefaultPasswordConfig()
	if c.MemoryKiB < 19*1024 || c.Iterations < 2 || c.Parallelism != 1 || c.InsecureLowCost {
		t.Fatalf("default %+v is below OWASP's m=19MiB t=2 p=1", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	weak := c
	weak.MemoryKiB = 1024
	if err := weak.Validate(); err == nil {
		t.Fatal("a cost below OWASP's passed without the explicit knob")
	}
	weak.InsecureLowCost = true
	if err := weak.Validate(); err != nil {
		t.Fatalf("with the knob: %v", err)
	}
	h, err := storefront.HashPassword("pw", c)
	if err != nil || !strings.Contains(h, "m=19456,t=2,p=1") {
		t.Fatalf("default hash %q, %v", h, err)
	}
}

func TestParsePasswordHash(t *testing.T) {
	good := "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"valid", good, true},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1), false},
		{"old version", strings.Replace(good, "v=19", "v=16", 1), false},
		{"missing part", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA", false},
		{"params out of order", strings.Replace(good, "m=64,t=1", "t=1,m=64", 1), false},
		{"huge memory", strings.Replace(good, "m=64", "m=4194304", 1), false},
		{"zero time", strings.Replace(good, "t=1", "t=0", 1), false},
		{"p overflow", strings.Replace(good, "p=1", "p=300", 1), false},
		{"negative", strings.Replace(good, "m=64", "m=-1", 1), false},
		{"bad salt", strings.Replace(good, "c2FsdHNhbHRzYWx0c2FsdA", "!!!", 1), false},
		{"short key", strings.Replace(good, "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U", "a2V5", 1), false},
		{"padded base64", strings.Replace(good, "c2FsdHNhbHRzYWx0c2FsdA", "c2FsdHNhbHRzYWx0c2FsdA==", 1), false},
		{"empty", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := storefront.ParsePasswordHash(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if _, err := storefront.VerifyPassword("x", tc.in); (err == nil) != tc.ok {
				t.Fatalf("VerifyPassword err %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// FuzzParsePasswordHash: stored hashes are parsed before every login; no
// input may panic, and whatever parses must be within the cost bounds and
// re-verify consistently.
func FuzzParsePasswordHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := storefront.ParsePasswordHash(s)
		if err != nil {
			return
		}
		if h.MemoryKiB > 1<<20 || h.Iterations > 16 || h.Parallelism > 16 || h.Parallelism == 0 || len(h.Salt) < 8 || len(h.Key) < 16 {
			t.Fatalf("out-of-bounds hash parsed: %+v", h)
		}
		if h.MemoryKiB > 4096 || h.Iterations > 4 {
			return // valid but slow to verify in a fuzz loop
		}
		if _, err := storefront.VerifyPassword("x", s); err != nil {
			t.Fatalf("parsed but does not verify: %v", err)
		}
	})
}
