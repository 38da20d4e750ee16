package storefront

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordConfig sets the argon2id cost of new password hashes. Existing
// hashes carry their own parameters, so raising the cost never locks anyone
// out: the hash is upgraded at the next successful login.
type PasswordConfig struct {
	// MemoryKiB is argon2id's memory in KiB. Default 19456 (19 MiB), OWASP's
	// minimum for argon2id with t=2, p=1; values below it are refused unless
	// InsecureLowCost is set.
	MemoryKiB uint32
	// Iterations is argon2id's time cost t. Default 2; at least 2 unless
	// InsecureLowCost.
	Iterations uint32
	// Parallelism is argon2id's lanes p. Default 1.
	Parallelism uint8
	// InsecureLowCost allows costs below OWASP's minimum. It exists for tests,
	// which hash hundreds of passwords; never set it in production.
	InsecureLowCost bool
}

// DefaultPasswordConfig returns OWASP's argon2id parameters (m=19 MiB, t=2, p=1).
func DefaultPasswordConfig() PasswordConfig {
	return PasswordConfig{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}
}

// Validate refuses costs below OWASP's minimum unless InsecureLowCost is set.
func (c PasswordConfig) Validate() error {
	if c.MemoryKiB < 8 || c.Iterations < 1 || c.Parallelism < 1 {
		return errors.New("storefront: argon2id parameters must be at least m=8 KiB, t=1, p=1")
	}
	if c.MemoryKiB > 1<<20 || c.Iterations > 16 || c.Parallelism > 16 {
		return errors.New("storefront: argon2id parameters above m=1 GiB, t=16, p=16 are refused")
	}
	if !c.InsecureLowCost && (c.MemoryKiB < 19*1024 || c.Iterations < 2) {
		return fmt.Errorf("storefront: argon2id cost m=%d KiB t=%d is below OWASP's minimum (m=19456, t=2)", c.MemoryKiB, c.Iterations)
	}
	return nil
}

const (
	saltLen = 16
	keyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash of password:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, base64 without padding.
func HashPassword(password string, c PasswordConfig) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, c.Iterations, c.MemoryKiB, c.Parallelism, keyLen)
	return formatHash(PasswordHash{MemoryKiB: c.MemoryKiB, Iterations: c.Iterations, Parallelism: c.Parallelism, Salt: salt, Key: key}), nil
}

// PasswordHash is a parsed PHC argon2id string.
type PasswordHash struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
	Salt, Key   []byte
}

func formatHash(h PasswordHash) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.MemoryKiB, h.Iterations, h.Parallelism,
		b64.EncodeToString(h.Salt), b64.EncodeToString(h.Key))
}

var errBadHash = errors.New("storefront: not an argon2id PHC hash")

// ParsePasswordHash parses a PHC argon2id string. It bounds every parameter,
// so a corrupt or hostile row can't make a login allocate gigabytes.
func ParsePasswordHash(s string) (PasswordHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return PasswordHash{}, errBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return PasswordHash{}, fmt.Errorf("%w: unsupported version %q", errBadHash, parts[2])
	}
	var h PasswordHash
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return PasswordHash{}, fmt.Errorf("%w: want m, t and p", errBadHash)
	}
	for i, want := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], want)
		if !ok {
			return PasswordHash{}, fmt.Errorf("%w: want %s", errBadHash, want)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return PasswordHash{}, fmt.Errorf("%w: bad %s", errBadHash, want)
		}
		switch i {
		case 0:
			h.MemoryKiB = uint32(n)
		case 1:
			h.Iterations = uint32(n)
		case 2:
			if n > 255 {
				return PasswordHash{}, fmt.Errorf("%w: p too large", errBadHash)
			}
			h.Parallelism = uint8(n)
		}
	}
	if err := (PasswordConfig{MemoryKiB: h.MemoryKiB, Iterations: h.Iterations, Parallelism: h.Parallelism, InsecureLowCost: true}).Validate(); err != nil {
		return PasswordHash{}, fmt.Errorf("%w: %v", errBadHash, err)
	}
	var err error
	if h.Salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(h.Salt) < 8 || len(h.Salt) > 64 {
		return PasswordHash{}, fmt.Errorf("%w: bad salt", errBadHash)
	}
	if h.Key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(h.Key) < 16 || len(h.Key) > 64 {
		return PasswordHash{}, fmt.Errorf("%w: bad key", errBadHash)
	}
	return h, nil
}

// VerifyPassword reports whether password matches the PHC hash, comparing in
// constant time.
func VerifyPassword(password, encoded string) (bool, error) {
	h, err := ParsePasswordHash(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.Salt, h.Iterations, h.MemoryKiB, h.Parallelism, uint32(len(h.Key)))
	return subtle.ConstantTimeCompare(key, h.Key) == 1, nil
}

// needsRehash reports whether a stored hash is weaker than the configuration.
func needsRehash(encoded string, c PasswordConfig) bool {
	h, err := ParsePasswordHash(encoded)
	if err != nil {
		return true
	}
	return h.MemoryKiB < c.MemoryKiB || h.Iterations < c.Iterations || len(h.Key) < keyLen
}
