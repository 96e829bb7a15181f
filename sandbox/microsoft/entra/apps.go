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

// maxRemembered bounds the signatures kept for masking (about 1.4 MB at
// most); the oldest are forgotten first.
const maxRemembered = 4096

// issuedSignatures remembers the signatures of recently issued tokens.
type issuedSignatures struct{ recent recent[struct{}] }

func (s *issuedSignatures) add(token string) {
	if sig := token[strings.LastIndexByte(token, '.')+1:]; len(sig) == signatureLength {
		s.recent.put(sig, struct{}{}, maxRemembered)
	}
}

func (s *issuedSignatures) has(sig string) bool {
	_, ok := s.recent.get(sig)
	return ok
}

// recent is a map bounded by a ring: beyond its limit, each new key
// forgets the oldest.
type recent[V any] struct {
	// mu guards the fields below it.
	mu    sync.Mutex
	items map[string]V
	order []string // ring of the keys, oldest at next once full
	next  int
}

func (c *recent[V]) put(key string, v V, limit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = make(map[string]V)
	}
	if _, ok := c.items[key]; ok {
		c.items[key] = v
		return
	}
	if len(c.order) < limit {
		c.order = append(c.order, key)
	} else {
		delete(c.items, c.order[c.next])
		c.order[c.next] = key
		c.next = (c.next + 1) % limit
	}
	c.items[key] = v
}

func (c *recent[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.items[key]
	return v, ok
}

func (c *recent[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
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
