package journal

import "strings"

// fixedIndex finds the fixed secrets in a text in one pass over it: a bit
// per pair of bytes that starts a secret, then the secrets starting with
// a pair that is set. Every journaled text (the path, the query, each
// header value) is looked through for every fixed secret; a
// strings.Contains per secret per text was a twentieth of the time of a
// publisher's GET with a handful of secrets, and grows with the fixtures.
type fixedIndex struct {
	starts  [1 << 16 / 64]uint64
	byStart map[uint16][]string
}

// newFixedIndex indexes secrets. One shorter than two bytes would match
// most texts and is left out (the journal masks none shorter than
// MinSecretLength by value).
func newFixedIndex(secrets []string) *fixedIndex {
	x := &fixedIndex{byStart: map[uint16][]string{}}
	for _, f := range secrets {
		if len(f) < 2 {
			continue
		}
		p := pairAt(f, 0)
		x.starts[p/64] |= 1 << (p % 64)
		x.byStart[p] = append(x.byStart[p], f)
	}
	return x
}

func pairAt(s string, i int) uint16 { return uint16(s[i])<<8 | uint16(s[i+1]) }

// in reports whether text holds one of the secrets.
func (x *fixedIndex) in(text string) bool {
	for i := 0; i+1 < len(text); i++ {
		p := pairAt(text, i)
		if x.starts[p/64]&(1<<(p%64)) == 0 {
			continue
		}
		for _, f := range x.byStart[p] {
			if strings.HasPrefix(text[i:], f) {
				return true
			}
		}
	}
	return false
}
