package microsoft

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
)

// catalog is the offers and plans of the fixtures; it never changes.
type catalog struct {
	offers []fixtures.Offer
	byID   map[string]fixtures.Offer
}

func newCatalog(fx fixtures.Microsoft) catalog {
	c := catalog{offers: fx.Offers, byID: map[string]fixtures.Offer{}}
	for _, o := range fx.Offers {
		c.byID[o.OfferID] = o
	}
	return c
}

// plan finds a plan of an offer.
func (c catalog) plan(offerID, planID string) (fixtures.Plan, bool) {
	o, ok := c.byID[offerID]
	if !ok {
		return fixtures.Plan{}, false
	}
	return o.Plan(planID)
}

// publisherStore holds the publishers; their URLs change through
// PATCH /_sandbox/microsoft/publishers/{id} and go back on reset.
type publisherStore struct {
	initial []fixtures.Publisher
	// mu guards current.
	mu      sync.Mutex
	current []fixtures.Publisher
}

func newPublisherStore(ps []fixtures.Publisher) *publisherStore {
	s := &publisherStore{initial: append([]fixtures.Publisher(nil), ps...)}
	s.reset()
	return s
}

func (s *publisherStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current = append([]fixtures.Publisher(nil), s.initial...)
}

func (s *publisherStore) list() []fixtures.Publisher {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]fixtures.Publisher{}, s.current...)
}

func (s *publisherStore) get(id string) (fixtures.Publisher, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.current {
		if p.ID == id {
			return p, true
		}
	}
	return fixtures.Publisher{}, false
}

// byApp is the publisher whose Entra app a token names; ids compare
// case-insensitively, as GUIDs do.
func (s *publisherStore) byApp(tenantID, appID string) (fixtures.Publisher, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.current {
		if strings.EqualFold(p.TenantID, tenantID) && strings.EqualFold(p.ClientID, appID) {
			return p, true
		}
	}
	return fixtures.Publisher{}, false
}

// byTenant is the first publisher of a tenant.
func (s *publisherStore) byTenant(tenantID string) (fixtures.Publisher, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.current {
		if strings.EqualFold(p.TenantID, tenantID) {
			return p, true
		}
	}
	return fixtures.Publisher{}, false
}

// patch changes a publisher's URLs; nil leaves one as it is.
func (s *publisherStore) patch(id string, webhook, landing *string) (fixtures.Publisher, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.current {
		if s.current[i].ID != id {
			continue
		}
		if webhook != nil {
			s.current[i].WebhookURL = *webhook
		}
		if landing != nil {
			s.current[i].LandingPageURL = *landing
		}
		return s.current[i], true
	}
	return fixtures.Publisher{}, false
}

// resolveURL makes a publisher URL given as a path absolute on base.
func resolveURL(base, raw string) string {
	if !strings.HasPrefix(raw, "/") {
		return raw
	}
	return strings.TrimSuffix(base, "/") + raw
}

// purchaseToken is what a marketplace token stands for.
type purchaseToken struct {
	subscriptionID string
	expires        time.Time
}

// tokenStore makes and reads the marketplace tokens of the landing page
// (docs/microsoft.md §4, §5). It keeps none: a token is the
// subscription's id, its expiry and a counter, sealed with an HMAC under
// a key drawn at start and at every reset, so a long-lived sandbox does
// not keep one per purchase for ever, an expired token still says it
// expired, and a token from before a reset is unknown, as before.
type tokenStore struct {
	// mu guards key.
	mu  sync.Mutex
	key [32]byte
}

func newTokenStore() *tokenStore {
	s := &tokenStore{}
	s.reset()
	return s
}

func (s *tokenStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = rand.Read(s.key[:])
}

// tokenBytes: 16 of the id, 8 of the expiry, 4 of the counter, 32 of MAC.
const tokenBytes = 60

func (s *tokenStore) seal(b []byte) {
	s.mu.Lock()
	h := hmac.New(sha256.New, s.key[:])
	s.mu.Unlock()
	h.Write(b[:28])
	copy(b[28:], h.Sum(nil))
}

// issue makes a new opaque token. It is standard base64 and always holds
// a '+' and a '/', so a landing page that passes the query value on
// without URL-decoding it (%2B, %2F) or that decodes '+' into ' ' sends
// a token that does not resolve, as with the real marketplace.
func (s *tokenStore) issue(t purchaseToken) string {
	id, ok := subscription.GUIDBytes(t.subscriptionID)
	if !ok {
		panic("microsoft: a subscription id that is not the sandbox's GUID: " + t.subscriptionID)
	}
	var b [tokenBytes]byte
	copy(b[:16], id[:])
	binary.BigEndian.PutUint64(b[16:24], uint64(t.expires.UnixNano()))
	_, _ = rand.Read(b[24:28])
	for counter := binary.BigEndian.Uint32(b[24:28]); ; counter++ {
		binary.BigEndian.PutUint32(b[24:28], counter)
		s.seal(b[:])
		if value := base64.StdEncoding.EncodeToString(b[:]); strings.Contains(value, "+") && strings.Contains(value, "/") {
			return value
		}
	}
}

// lookup reads a token; expired reports one past its lifetime. The
// subscription it names may be gone (evicted): the caller asks the store.
func (s *tokenStore) lookup(value string, now time.Time) (t purchaseToken, found, expired bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(value)
	if err != nil || len(b) != tokenBytes {
		return t, false, false
	}
	want := append([]byte(nil), b...)
	s.seal(want)
	if !hmac.Equal(want[28:], b[28:]) {
		return t, false, false
	}
	t = purchaseToken{subscriptionID: subscription.FormatGUID(b[:16]), expires: time.Unix(0, int64(binary.BigEndian.Uint64(b[16:24]))).UTC()}
	return t, true, !now.Before(t.expires)
}

// landingURL is the landing page URL with the token as its query.
func landingURL(landing, token string) string {
	sep := "?"
	if strings.Contains(landing, "?") {
		sep = "&"
	}
	return landing + sep + "token=" + url.QueryEscape(token)
}
