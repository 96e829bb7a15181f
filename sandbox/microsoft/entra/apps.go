package entra

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"sync"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// App is an app registration: the Entra app a publisher's code
// authenticates as, in the publisher's tenant.
type App struct {
	TenantID     string
	ClientID     string
	ClientSecret string
	// PublisherID is the sandbox's publisher the app belongs to.
	PublisherID string
}

// registry holds the registered apps, replaced whole by SetApps when the
// fixtures are restored or changed.
type registry struct {
	// mu guards the fields below it.
	mu      sync.RWMutex
	byID    map[string]App  // by lower-case client id
	tenants map[string]bool // lower-case tenant ids
}

func normalizeID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

func (g *registry) set(apps []App) {
	byID := make(map[string]App, len(apps))
	tenants := make(map[string]bool, len(apps))
	for _, a := range apps {
		a.TenantID, a.ClientID = normalizeID(a.TenantID), normalizeID(a.ClientID)
		byID[a.ClientID] = a
		tenants[a.TenantID] = true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.byID, g.tenants = byID, tenants
}

// app finds a client id (any case, as Entra's GUIDs are).
func (g *registry) app(clientID string) (App, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	a, ok := g.byID[normalizeID(clientID)]
	return a, ok
}

func (g *registry) hasTenant(tenantID string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.tenants[normalizeID(tenantID)]
}

func (g *registry) secrets() []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]string, 0, len(g.byID))
	for _, a := range g.byID {
		if a.ClientSecret != "" {
			out = append(out, a.ClientSecret)
		}
	}
	return out
}

// secretMatches compares in constant time, as any secret check should.
func secretMatches(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// objectID is the app's service principal object id (oid and sub of its
// tokens): a GUID derived from tenant and client id, so it is the same in
// every token and across restarts, as a real service principal's is.
func objectID(tenantID, clientID string) string {
	sum := sha256.Sum256([]byte("entra-sp\x00" + normalizeID(tenantID) + "\x00" + normalizeID(clientID)))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x50 // name-based, like a version 5 UUID
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

// signatureLength is the length of the base64url signature of an RS256
// JWT signed with a 2048-bit key: the part of an issued token the journal
// masks (header and claims are not secret; without its signature a token
// is worthless).
const signatureLength = 342

// maxRemembered bounds the signatures kept for masking: the oldest are
// forgotten first (about 1.4 MB at most).
const maxRemembered = 4096

// issuedSignatures remembers the signatures of recently issued tokens.
type issuedSignatures struct {
	// mu guards the fields below it.
	mu    sync.Mutex
	set   map[string]bool
	order []string // ring of set's members, oldest at next
	next  int
}

func (s *issuedSignatures) add(token string) {
	sig := token[strings.LastIndexByte(token, '.')+1:]
	if len(sig) != signatureLength {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil {
		s.set = make(map[string]bool)
	}
	if len(s.order) < maxRemembered {
		s.order = append(s.order, sig)
	} else {
		delete(s.set, s.order[s.next])
		s.order[s.next] = sig
		s.next = (s.next + 1) % maxRemembered
	}
	s.set[sig] = true
}

func (s *issuedSignatures) has(sig string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set[sig]
}

// SetApps replaces the registered apps (when the fixtures are restored or
// a publisher changes). Keys are not touched: tokens signed before stay
// verifiable, though a token of an app no longer registered fails
// Authenticate.
func (i *Issuer) SetApps(apps []App) { i.apps.set(apps) }

// Secrets are the values the journal must mask: every registered client
// secret, and the signature of every token issued recently (the access
// tokens and the webhook JWTs).
func (i *Issuer) Secrets() journal.Secrets {
	return journal.Secrets{
		Fixed:        i.apps.secrets(),
		Issued:       i.issued.has,
		IssuedLength: signatureLength,
	}
}
