package clerk

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Password rules for clerk accounts.
const (
	MinPasswordLen = 12
	maxPasswordLen = 1024
)

// passwordParams are argon2id costs (OWASP: 19 MiB, 2 passes, 1 lane).
type passwordParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

var defaultPasswordParams = passwordParams{memory: 19 * 1024, time: 2, threads: 1}

// hashSlots bounds concurrent password hashes: each holds 19 MiB, and a
// flood of sign-in attempts must not take the server's memory.
var hashSlots = make(chan struct{}, runtime.NumCPU())

// HashPassword returns the argon2id hash of password in PHC string form
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash), with a random salt, for
// storing in a clerk account.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLen {
		return "", fmt.Errorf("password must be at least %d characters", MinPasswordLen)
	}
	if len(password) > maxPasswordLen {
		return "", fmt.Errorf("password must be at most %d bytes", maxPasswordLen)
	}
	return hashPassword(password, defaultPasswordParams), nil
}

func hashPassword(password string, p passwordParams) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	hashSlots <- struct{}{}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, 32)
	<-hashSlots
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("malformed password hash")

// checkPassword reports whether password matches the PHC string encoded.
func checkPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errBadHash
	}
	var p passwordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return false, errBadHash
	}
	if p.time < 1 || p.threads < 1 || p.memory < 8*uint32(p.threads) || p.memory > 1<<20 || p.time > 64 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 {
		return false, errBadHash
	}
	if len(password) > maxPasswordLen {
		return false, nil
	}
	hashSlots <- struct{}{}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(want)))
	<-hashSlots
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when the account does not exist, so that a
// wrong name takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	return hashPassword("no account has this password", defaultPasswordParams)
})
