package gitlab

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
)

var countryShape = regexp.MustCompile(`^[A-Z]{2}$`)

// checkOrder applies the portal's rules that the schema cannot express
// (reference §1 and §4): the trading partner must be on this partner's
// permitted list, every product must be in the catalogue, and the country
// must be an assigned ISO 3166-1 alpha-2 code. It reads the raw document,
// which may still be of the wrong shape; the schema reports shape errors.
func (p *Portal) checkOrder(raw any, partnerID string) []openapi.FieldError {
	doc, _ := raw.(map[string]any)
	var out []openapi.FieldError
	partner := p.partners[partnerID]
	if tp, ok := doc["tradingPartnerId"].(string); ok && tp != "" && !slices.Contains(partner.TradingPartnerIDs, tp) {
		out = append(out, openapi.FieldError{Field: "tradingPartnerId", Message: "is not on this partner's list of permitted trading partners"})
	}
	lines, _ := doc["orderLines"].([]any)
	for i, line := range lines {
		l, _ := line.(map[string]any)
		if id, ok := l["productId"].(string); ok && id != "" {
			if _, known := p.products[id]; !known {
				out = append(out, openapi.FieldError{Field: fmt.Sprintf("orderLines[%d].productId", i), Message: "is not a product in the catalogue"})
			}
		}
	}
	customer, _ := doc["customer"].(map[string]any)
	address, _ := customer["address"].(map[string]any)
	if c, ok := address["country"].(string); ok && countryShape.MatchString(c) && !isCountry(c) {
		out = append(out, openapi.FieldError{Field: "customer.address.country", Message: "is not an assigned ISO 3166-1 alpha-2 country code"})
	}
	return out
}

// sortFields orders field errors by field, keeping each field's messages
// in the order they were found.
func sortFields(f []openapi.FieldError) []openapi.FieldError {
	sort.SliceStable(f, func(i, j int) bool { return f[i].Field < f[j].Field })
	return f
}

// pathVar reads a path variable; routes are matched on the encoded path so
// ids may contain "/" as %2F, and are decoded here.
func pathVar(r *http.Request, name string) string {
	v := mux.Vars(r)[name]
	if decoded, err := url.PathUnescape(v); err == nil {
		return decoded
	}
	return v
}
