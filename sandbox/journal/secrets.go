package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"slices"
	"strings"
)

// Secrets are the secret values the sandbox knows, which the journal masks
// wherever a client puts them (a header of any name, the path, the query,
// a body), however it encodes them (raw, percent-encoded, JSON-escaped):
// the fixtures' client secrets and every access token issued. Masking by
// name alone misses a secret under a name nobody foresaw.
type Secrets struct {
	// Fixed are secrets that never change. Those shorter than
	// MinSecretLength are masked by name only, as they would match
	// ordinary text.
	Fixed []string
	// Issued reports whether a run of IssuedLength URL-safe base64
	// characters is an issued credential.
	Issued       func(string) bool
	IssuedLength int

	// more are the issued credentials of other marketplaces, each with
	// its own length, when one recorder journals several.
	more []issuedKind
	// all is Issued then more, built once by WithSecrets: masking runs on
	// every request and must not build it each time.
	all []issuedKind
	// fixed indexes Fixed, built by WithSecrets with all.
	fixed *fixedIndex
}

// issuedKind recognises one marketplace's issued credentials.
type issuedKind struct {
	is     func(string) bool
	length int
}

// kinds lists every kind of issued credential s recognises: all, once
// WithSecrets has built it.
func (s *Secrets) kinds() []issuedKind {
	if s.all != nil {
		return s.all
	}
	return s.listKinds()
}

// listKinds is Issued, then more.
func (s *Secrets) listKinds() []issuedKind {
	if s.Issued == nil || s.IssuedLength == 0 {
		return s.more
	}
	return append([]issuedKind{{s.Issued, s.IssuedLength}}, s.more...)
}

// MinSecretLength is the shortest fixed secret masked by value.
const MinSecretLength = 8

// WithSecrets masks the values s knows in every entry.
func WithSecrets(s Secrets) RecorderOption {
	return func(rec *Recorder) {
		for _, f := range s.Fixed {
			if len(f) >= MinSecretLength && !slices.Contains(rec.secrets.Fixed, f) {
				rec.secrets.Fixed = append(rec.secrets.Fixed, f)
			}
		}
		switch {
		case s.Issued == nil || s.IssuedLength == 0:
		case rec.secrets.Issued == nil:
			rec.secrets.Issued, rec.secrets.IssuedLength = s.Issued, s.IssuedLength
		default:
			rec.secrets.more = append(rec.secrets.more, issuedKind{s.Issued, s.IssuedLength})
		}
		rec.secrets.all = rec.secrets.listKinds()
		rec.secrets.fixed = newFixedIndex(rec.secrets.Fixed)
	}
}

func isTokenChar(c byte) bool { return tokenChars[c] }

// tokenChars is isTokenChar as a table: the masking scanners ask it of
// every byte of every journaled text.
var tokenChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	return t
}()

// found reports whether text holds a known secret as it stands.
func (s *Secrets) found(text string) bool {
	return s.fixedIn(text) || s.issuedIn(text, nil)
}

// fixedIn reports whether text holds a fixed secret.
func (s *Secrets) fixedIn(text string) bool {
	if s.fixed != nil {
		return s.fixed.in(text)
	}
	return slices.ContainsFunc(s.Fixed, func(f string) bool { return strings.Contains(text, f) })
}

// issuedIn reports whether text holds an issued token; with b it also
// writes text to b with every issued token masked.
func (s *Secrets) issuedIn(text string, b *strings.Builder) bool {
	if len(s.more) == 0 {
		return s.issuedOneKind(text, b, s.Issued, s.IssuedLength)
	}
	if b == nil {
		return s.anyIssued(text)
	}
	hit := false
	for _, k := range s.kinds() {
		if !s.issuedOneKind(text, nil, k.is, k.length) {
			continue
		}
		hit = true
		if b == nil {
			return true
		}
		var one strings.Builder
		s.issuedOneKind(text, &one, k.is, k.length)
		text = one.String()
	}
	if b != nil {
		b.WriteString(text)
	}
	return hit
}

// anyIssued reports whether text holds an issued credential of any kind,
// in one scan of its runs of token characters: the question every
// journaled text is asked, where the answer is nearly always no.
func (s *Secrets) anyIssued(text string) bool {
	kinds := s.kinds()
	for i, j := range tokenRuns(text) {
		for _, k := range kinds {
			for p := i; k.is != nil && k.length > 0 && p+k.length <= j; p++ {
				if k.is(text[p : p+k.length]) {
					return true
				}
			}
		}
	}
	return false
}

// tokenRuns yields the start and end of each run of token characters in
// text, where an issued credential can stand.
func tokenRuns(text string) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		for i := 0; i < len(text); {
			if !isTokenChar(text[i]) {
				i++
				continue
			}
			j := i
			for j < len(text) && isTokenChar(text[j]) {
				j++
			}
			if !yield(i, j) {
				return
			}
			i = j
		}
	}
}

// issuedOneKind is issuedIn for one kind of credential, of length n.
func (s *Secrets) issuedOneKind(text string, b *strings.Builder, issued func(string) bool, n int) bool {
	if issued == nil || n == 0 || len(text) < n {
		if b != nil {
			b.WriteString(text)
		}
		return false
	}
	hit, last := false, 0
	for i, j := range tokenRuns(text) {
		for k := i; k+n <= j; k++ {
			if issued(text[k : k+n]) {
				hit = true
				if b == nil {
					return true
				}
				b.WriteString(text[last:k])
				b.WriteString(mask)
				last, k = k+n, k+n-1
			}
		}
	}
	if b != nil {
		b.WriteString(text[last:])
	}
	return hit
}

// isDelimiter ends a word of text for maskEncoded: the separators of
// forms, queries, paths, JSON and flattened headers.
func isDelimiter(c byte) bool {
	return strings.IndexByte("&;=/?,:\"'{}[] \t\r\n\x00", c) >= 0
}

// mask hides every known secret in text: raw occurrences are replaced by
// "****", and a word (text between delimiters) holding a percent or JSON
// escape that decodes to one is replaced whole.
func (s *Secrets) mask(text string) string {
	if len(s.Fixed) == 0 && s.Issued == nil && len(s.more) == 0 || text == "" {
		return text
	}
	out := text
	if s.fixedIn(out) {
		for _, f := range s.Fixed {
			out = strings.ReplaceAll(out, f, mask)
		}
	}
	if s.issuedIn(out, nil) {
		var b strings.Builder
		s.issuedIn(out, &b)
		out = b.String()
	}
	if strings.IndexByte(out, '%') >= 0 || strings.IndexByte(out, '\\') >= 0 || strings.IndexByte(out, '+') >= 0 {
		out = s.maskEncoded(out)
	}
	return out
}

// maskEncoded replaces each word whose decoded form holds a secret.
func (s *Secrets) maskEncoded(text string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); {
		if isDelimiter(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && !isDelimiter(text[j]) {
			j++
		}
		word := text[i:j]
		if strings.ContainsAny(word, `%\+`) && s.foundEncoded(word) {
			b.WriteString(text[last:i])
			b.WriteString(mask)
			last = j
		}
		i = j
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// wordReadings are the ways a reader may decode word: one layer of JSON
// escapes, of form encoding ('+' a space) or of percent-encoding ('+'
// kept), or two of them in either order. A word that one decoding ruins
// may read plainly in another: in a JSON string, %\u0041b reads %Ab,
// where percent-decoding the JSON-decoded text turns %Ab into one byte;
// and the journal shows the path escaped (EscapedPath), so a client's
// \u0064 reaches the scan as %5Cu0064, to be percent-, then JSON-decoded.
// All are lenient: a bad escape stays as it is.
func wordReadings(word string) []string {
	layers := [...]func(string) string{unescapeJSON, func(w string) string { return unescapePercent(w, true) },
		func(w string) string { return unescapePercent(w, false) }}
	out := make([]string, 0, 9)
	for i, first := range layers {
		once := first(word)
		if once == word {
			continue
		}
		out = append(out, once)
		for j, second := range layers {
			if twice := second(once); j != i && twice != once {
				out = append(out, twice)
			}
		}
	}
	return out
}

// foundEncoded reports whether any reading of word holds a known secret.
func (s *Secrets) foundEncoded(word string) bool {
	for _, r := range wordReadings(word) {
		if s.found(r) {
			return true
		}
	}
	return false
}

// unescapePercent undoes every valid %XX escape of word, and with plus
// reads '+' as a form's space.
func unescapePercent(word string, plus bool) string {
	if strings.IndexByte(word, '%') < 0 && (!plus || strings.IndexByte(word, '+') < 0) {
		return word
	}
	var b strings.Builder
	for i := 0; i < len(word); i++ {
		switch r, ok := hex2(word, i+1); {
		case word[i] == '%' && ok:
			b.WriteByte(r)
			i += 2
		case word[i] == '+' && plus:
			b.WriteByte(' ')
		default:
			b.WriteByte(word[i])
		}
	}
	return b.String()
}

func hex2(s string, i int) (byte, bool) {
	if i+2 > len(s) {
		return 0, false
	}
	r, ok := hex4("00"+s[i:i+2], 0)
	return byte(r), ok
}

// maskCut hides what may be the start of a secret at the end of a body
// cut at journal.body_bytes: a trailing run of token characters that a
// fixed secret or an issued token could begin with (8 characters or more,
// since an issued token's prefix cannot be looked up).
func (s *Secrets) maskCut(body []byte) []byte {
	i := len(body)
	for i > 0 && isTokenChar(body[i-1]) {
		i--
	}
	run := string(body[i:])
	if run == "" || i == 0 {
		return body // a body that is one run was not cut in the middle of a word
	}
	risky := false
	for _, k := range s.kinds() {
		risky = risky || len(run) >= MinSecretLength && len(run) < max(k.length, MinSecretLength+1)
	}
	for _, f := range s.Fixed {
		risky = risky || strings.HasPrefix(f, run) && len(run) >= 4
	}
	if !risky {
		return body
	}
	return append(body[:i:i], mask...)
}

// credentialOf is the Credential of a request with this Authorization
// header: a bearer token's fingerprint, or "" for any other scheme. The
// fingerprint is a hash, never the token, so it may be shown.
func credentialOf(authorization string) string {
	scheme, token, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return "bearer:" + hex.EncodeToString(sum[:6])
}
