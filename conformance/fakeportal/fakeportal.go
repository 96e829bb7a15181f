// Package fakeportal is a small, independent implementation of the GitLab
// Marketplace API contract, used to test the conformance harness without our
// sandbox. By default it conforms; each Defect makes it break one
// requirement the way a real implementation might, so tests can prove that
// the scenario library catches that defect and names the requirement.
package fakeportal

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defect is one deliberate deviation from the contract.
type Defect string

// The defects the harness must detect.
const (
	ScopeErrorIs401        Defect = "invalid_scope answered 401"
	NoWWWAuthenticate      Defect = "token errors without WWW-Authenticate"
	NoCacheControl         Defect = "token response without Cache-Control"
	ShortToken             Defect = "access tokens of 32 characters"
	TokenNeverExpires      Defect = "tokens never expire"
	AuthHole               Defect = "create accepts requests without a token"
	ReadOnlyCanCreate      Defect = "read-only tokens can create"
	LeakBetweenPartners    Defect = "partners read each other's subscriptions"
	OtherPartnerIs403      Defect = "another partner's id answers 403"
	GlobalExternalIDs      Defect = "external ids are global, not per partner"
	NoSubscriptionNumber   Defect = "create answer lacks subscriptionNumber"
	StatusRegresses        Defect = "Provisioned goes back to Created after an hour"
	UnknownStatus          Defect = "reports status Active instead of Provisioned"
	EmailOptional          Defect = "contact email is not required"
	ValidationIs400        Defect = "validation errors answered 400"
	ReplayIsConflict       Defect = "identical retry answered 409"
	DifferentBodyOverwrite Defect = "different body with a used id is accepted"
	ErrorBodyWrongShape    Defect = "errors rendered as {message}"
	ErrorsAsText           Defect = "errors rendered as text/plain"
	UnknownIDIs200         Defect = "unknown id answered 200"
	NeverProvisions        Defect = "subscriptions never leave Created"
	NoRequestID            Defect = "responses without X-Request-Id"
)

// AllDefects lists every defect, for table tests.
func AllDefects() []Defect {
	return []Defect{ScopeErrorIs401, NoWWWAuthenticate, NoCacheControl, ShortToken, TokenNeverExpires,
		AuthHole, ReadOnlyCanCreate, LeakBetweenPartners, OtherPartnerIs403, GlobalExternalIDs,
		NoSubscriptionNumber, StatusRegresses, UnknownStatus, EmailOptional, ValidationIs400,
		ReplayIsConflict, DifferentBodyOverwrite, ErrorBodyWrongShape, ErrorsAsText, UnknownIDIs200,
		NeverProvisions, NoRequestID}
}

// Partner is one OAuth client of the fake.
type Partner struct {
	ClientID, ClientSecret string
	Scopes                 []string
	TradingPartnerID       string
}

// ProductID is the only product in the fake's catalogue.
const ProductID = "fake-product-1"

// Portal is the fake. Its clock is virtual and moves only through the
// control API, like our sandbox in frozen mode.
type Portal struct {
	defects  map[Defect]bool
	control  bool
	partners []Partner

	// mu guards the fields below.
	mu     sync.Mutex
	now    time.Time
	tokens map[string]token
	subs   map[string]*subscription
	serial int
}

type token struct {
	partner string
	scopes  []string
	expires time.Time
}

type subscription struct {
	partner   string
	body      map[string]any
	answer    []byte
	number    string
	createdAt time.Time
}

// Option configures the fake.
type Option func(*Portal)

// WithDefects breaks the given requirements.
func WithDefects(ds ...Defect) Option {
	return func(p *Portal) {
		for _, d := range ds {
			p.defects[d] = true
		}
	}
}

// WithoutControl removes the /_sandbox control API, like a real portal.
func WithoutControl() Option { return func(p *Portal) { p.control = false } }

// New returns a conforming fake with three partners.
func New(opts ...Option) *Portal {
	p := &Portal{
		defects: map[Defect]bool{}, control: true,
		partners: []Partner{
			{ClientID: "fake-create", ClientSecret: "fake-create-secret", Scopes: []string{scopeRead, scopeCreate}, TradingPartnerID: "TP-FAKE-1"},
			{ClientID: "fake-read", ClientSecret: "fake-read-secret", Scopes: []string{scopeRead}, TradingPartnerID: "TP-FAKE-2"},
			{ClientID: "fake-second", ClientSecret: "fake-second-secret", Scopes: []string{scopeRead, scopeCreate}, TradingPartnerID: "TP-FAKE-3"},
		},
		now:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		tokens: map[string]token{}, subs: map[string]*subscription{},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Partners returns the fake's clients (create, readonly, second).
func (p *Portal) Partners() []Partner { return p.partners }

const (
	scopeRead   = "marketplace.order:read"
	scopeCreate = "marketplace.order:create"
)

// Handler serves the API and, unless WithoutControl, the control API.
func (p *Portal) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", p.issueToken)
	mux.HandleFunc("POST /api/v1/marketplace/subscriptions", p.create)
	mux.HandleFunc("GET /api/v1/marketplace/subscriptions/{id}", p.read)
	mux.HandleFunc("/api/v1/marketplace/subscriptions/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET")
		p.fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed.", nil)
	})
	if p.control {
		mux.HandleFunc("GET /_sandbox/health", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		})
		mux.HandleFunc("POST /_sandbox/clock/advance", p.advance)
		mux.HandleFunc("POST /_sandbox/reset", p.reset)
		mux.HandleFunc("GET /_sandbox/gitlab/fixtures", p.fixtures)
	}
	return p.withRequestID(mux)
}

// withRequestID gives every response an X-Request-Id, as the contract asks.
func (p *Portal) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.has(NoRequestID) {
			raw := make([]byte, 8)
			_, _ = rand.Read(raw)
			w.Header().Set("X-Request-Id", hex.EncodeToString(raw))
		}
		next.ServeHTTP(w, r)
	})
}

func (p *Portal) has(d Defect) bool { return p.defects[d] }

// fail writes an error in the contract's envelope (or, with defects, not).
func (p *Portal) fail(w http.ResponseWriter, status int, code, description string, fields []map[string]string) {
	switch {
	case p.has(ErrorsAsText):
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(code + ": " + description))
	case p.has(ErrorBodyWrongShape):
		writeJSON(w, status, map[string]any{"message": description})
	default:
		body := map[string]any{"error": code, "error_description": description}
		if id := w.Header().Get("X-Request-Id"); id != "" {
			body["request_id"] = id
		}
		if fields != nil {
			body["errors"] = fields
		}
		writeJSON(w, status, body)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Portal) advance(w http.ResponseWriter, r *http.Request) {
	var body struct{ By string }
	d, err := time.ParseDuration(bodyBy(r, &body))
	if err != nil || d < 0 {
		p.fail(w, http.StatusBadRequest, "invalid_request", "bad duration", nil)
		return
	}
	p.mu.Lock()
	p.now = p.now.Add(d)
	now := p.now
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"now": now.Format(time.RFC3339Nano), "fired": 0})
}

func bodyBy(r *http.Request, into *struct{ By string }) string {
	_ = json.NewDecoder(r.Body).Decode(into)
	return into.By
}

func (p *Portal) reset(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.tokens, p.subs = map[string]token{}, map[string]*subscription{}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (p *Portal) fixtures(w http.ResponseWriter, r *http.Request) {
	var partners []map[string]any
	for _, pt := range p.partners {
		partners = append(partners, map[string]any{"id": pt.ClientID, "clientId": pt.ClientID, "clientSecret": pt.ClientSecret,
			"scopes": pt.Scopes, "tradingPartnerIds": []string{pt.TradingPartnerID}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"partners": partners, "products": []map[string]string{{"id": ProductID}}})
}

func (p *Portal) partner(clientID string) (Partner, bool) {
	for _, pt := range p.partners {
		if pt.ClientID == clientID {
			return pt, true
		}
	}
	return Partner{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func bearer(r *http.Request) string {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return tok
}
