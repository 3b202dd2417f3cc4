package clerk

// HashPasswordCheap hashes with tiny argon2id costs, so tests sign in fast.
// The format is the same; checkPassword reads the costs from the hash.
func HashPasswordCheap(password string) string {
	return hashPassword(password, passwordParams{memory: 64, time: 1, threads: 1})
}
