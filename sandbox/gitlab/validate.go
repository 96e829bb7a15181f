package gitlab

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
)

var countryShape = regexp.MustCompile(`^[A-Z]{2}$`)

// orderFacts are the parts of an order the portal's own rules look at.
// An empty string means the field is absent or of the wrong shape; the
// schema reports those.
type orderFacts struct {
	tradingPartnerID string
	productIDs       []string // by order line; "" where missing
	country          string
}

func factsOf(o subscription.Order) orderFacts {
	f := orderFacts{tradingPartnerID: o.TradingPartnerID, country: o.Customer.Address.Country}
	for _, l := range o.OrderLines {
		f.productIDs = append(f.productIDs, l.ProductID)
	}
	return f
}

// orderOf reads an order from a body the schema accepted, decoded by
// encoding/json into an any. The schema has checked every type and bound,
// so a mismatch here is a bug, reported as an error rather than a panic.
func orderOf(raw any) (subscription.Order, error) {
	var o subscription.Order
	doc, ok := raw.(map[string]any)
	if !ok {
		return o, fmt.Errorf("the order is a %T, not an object", raw)
	}
	r := fieldReader{}
	o.ExternalSubscriptionID = r.str(doc, "externalSubscriptionId")
	o.TradingPartnerID = r.str(doc, "tradingPartnerId")
	customer := r.obj(doc, "customer")
	o.Customer.CompanyName = r.str(customer, "companyName")
	contact := r.obj(customer, "contact")
	o.Customer.Contact = subscription.Contact{FirstName: r.str(contact, "firstName"), LastName: r.str(contact, "lastName"),
		Email: r.str(contact, "email"), Phone: r.optStr(contact, "phone")}
	address := r.obj(customer, "address")
	o.Customer.Address = subscription.Address{Country: r.str(address, "country"), Line1: r.optStr(address, "line1"),
		Line2: r.optStr(address, "line2"), City: r.optStr(address, "city"), State: r.optStr(address, "state"),
		PostalCode: r.optStr(address, "postalCode")}
	lines, ok := doc["orderLines"].([]any)
	if !ok {
		r.fail("orderLines", doc["orderLines"])
	}
	o.OrderLines = make([]subscription.OrderLine, 0, len(lines))
	for _, line := range lines {
		l, ok := line.(map[string]any)
		if !ok {
			r.fail("orderLines[]", line)
		}
		o.OrderLines = append(o.OrderLines, subscription.OrderLine{ProductID: r.str(l, "productId"), Quantity: r.integer(l, "quantity")})
	}
	return o, r.err
}

// fieldReader reads typed fields from a decoded JSON object, keeping the
// first mismatch.
type fieldReader struct{ err error }

func (r *fieldReader) fail(name string, v any) {
	if r.err == nil {
		r.err = fmt.Errorf("field %s is a %T", name, v)
	}
}

func (r *fieldReader) obj(doc map[string]any, name string) map[string]any {
	m, ok := doc[name].(map[string]any)
	if !ok {
		r.fail(name, doc[name])
	}
	return m
}

func (r *fieldReader) str(doc map[string]any, name string) string {
	s, ok := doc[name].(string)
	if !ok {
		r.fail(name, doc[name])
	}
	return s
}

func (r *fieldReader) optStr(doc map[string]any, name string) string {
	if v, present := doc[name]; present {
		if s, ok := v.(string); ok {
			return s
		}
		r.fail(name, v)
	}
	return ""
}

func (r *fieldReader) integer(doc map[string]any, name string) int {
	f, ok := doc[name].(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		r.fail(name, doc[name])
		return 0
	}
	return int(f)
}

// factsOfRaw reads the same facts from a document of any shape.
func factsOfRaw(raw any) orderFacts {
	doc, _ := raw.(map[string]any)
	var f orderFacts
	f.tradingPartnerID, _ = doc["tradingPartnerId"].(string)
	lines, _ := doc["orderLines"].([]any)
	for _, line := range lines {
		l, _ := line.(map[string]any)
		id, _ := l["productId"].(string)
		f.productIDs = append(f.productIDs, id)
	}
	customer, _ := doc["customer"].(map[string]any)
	address, _ := customer["address"].(map[string]any)
	f.country, _ = address["country"].(string)
	return f
}

// checkOrder applies the portal's rules that the schema cannot express
// (docs/gitlab.md §1 and §4): the trading partner must be on this partner's
// permitted list, every product must be in the catalogue, and the country
// must be an assigned ISO 3166-1 alpha-2 code.
func (p *Portal) checkOrder(f orderFacts, partnerID string) []openapi.FieldError {
	var out []openapi.FieldError
	partner := p.partners[partnerID]
	if f.tradingPartnerID != "" && !slices.Contains(partner.TradingPartnerIDs, f.tradingPartnerID) {
		out = append(out, openapi.FieldError{Field: "tradingPartnerId", Message: "is not on this partner's list of permitted trading partners"})
	}
	for i, id := range f.productIDs {
		if _, known := p.products[id]; id != "" && !known {
			out = append(out, openapi.FieldError{Field: fmt.Sprintf("orderLines[%d].productId", i), Message: "is not a product in the catalogue"})
		}
	}
	if countryShape.MatchString(f.country) && !isCountry(f.country) {
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
