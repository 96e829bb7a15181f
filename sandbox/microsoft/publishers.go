package microsoft

import (
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
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
	publisherID    string
	expires        time.Time
}

// tokenStore holds the marketplace tokens of the landing page
// (docs/microsoft.md §4, §5).
type tokenStore struct {
	// mu guards byValue.
	mu      sync.Mutex
	byValue map[string]purchaseToken
}

func newTokenStore() *tokenStore { return &tokenStore{byValue: map[string]purchaseToken{}} }

// len counts the purchase tokens held.
func (s *tokenStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byValue)
}

func (s *tokenStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byValue = map[string]purchaseToken{}
}

// issue makes a new opaque token. It is standard base64 and always holds
// a '+' and a '/', so a landing page that passes the query value on
// without URL-decoding it (%2B, %2F) or that decodes '+' into ' ' sends
// a token that does not resolve, as with the real marketplace.
func (s *tokenStore) issue(t purchaseToken) string {
	var value string
	for !strings.Contains(value, "+") || !strings.Contains(value, "/") {
		var b [60]byte
		_, _ = rand.Read(b[:])
		value = base64.StdEncoding.EncodeToString(b[:])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byValue[value] = t
	return value
}

// lookup finds a token; expired reports one past its lifetime.
func (s *tokenStore) lookup(value string, now time.Time) (t purchaseToken, found, expired bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, found = s.byValue[value]
	return t, found, found && !now.Before(t.expires)
}

// landingURL is the landing page URL with the token as its query.
func landingURL(landing, token string) string {
	sep := "?"
	if strings.Contains(landing, "?") {
		sep = "&"
	}
	return landing + sep + "token=" + url.QueryEscape(token)
}
