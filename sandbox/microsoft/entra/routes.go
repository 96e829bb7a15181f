package entra

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// Routes registers every Entra endpoint the sandbox serves. The tenant
// segment is the tenant id; discovery and keys also answer for common and
// organizations.
func (i *Issuer) Routes(r *mux.Router) {
	r.HandleFunc("/{tenant}/oauth2/token", i.token(version1)).Methods(http.MethodPost)
	r.HandleFunc("/{tenant}/oauth2/v2.0/token", i.token(version2)).Methods(http.MethodPost)
	r.HandleFunc("/{tenant}/.well-known/openid-configuration", i.discoveryV1).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/{tenant}/v2.0/.well-known/openid-configuration", i.discoveryV2).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/{tenant}/discovery/keys", i.keys(version1)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/{tenant}/discovery/v2.0/keys", i.keys(version2)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/common/discovery/instance", i.instance).Methods(http.MethodGet, http.MethodHead)
}

// entraSections are the second path segments of Entra's endpoints
// (/{tenant}/oauth2/…, /{tenant}/discovery/…, /{tenant}/.well-known/…,
// /{tenant}/v2.0/…).
var entraSections = map[string]bool{"oauth2": true, "discovery": true, ".well-known": true, "v2.0": true}

// IsTokenPath reports whether path is Entra traffic: any path shaped like
// an Entra endpoint, served or not, so that the marketplace claims it and
// answers a wrong path or verb in Entra's envelope (NotFound,
// MethodNotAllowed). Paths under /_sandbox and /api are never Entra's.
func IsTokenPath(path string) bool {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(segs) < 2 || segs[0] == "" || strings.HasPrefix(segs[0], "_") || segs[0] == "api" {
		return false
	}
	return entraSections[segs[1]]
}
