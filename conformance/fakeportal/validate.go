package fakeportal

import (
	"regexp"
	"strconv"
	"strings"
)

// requiredFields are the create fields docs/gitlab.md §4 requires, in order.
func requiredFields() []string {
	return []string{"externalSubscriptionId", "tradingPartnerId", "customer", "customer.companyName",
		"customer.contact", "customer.contact.firstName", "customer.contact.lastName", "customer.contact.email",
		"customer.address", "customer.address.country", "orderLines"}
}

// assignedCountries is enough of ISO 3166-1 for tests.
func assignedCountries() []string { return []string{"DE", "US", "FR", "GB", "NL", "JP"} }

var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// validate returns one {field, message} per problem of a create body.
func (p *Portal) validate(partner string, body map[string]any) []map[string]string {
	var out []map[string]string
	bad := func(field, msg string) { out = append(out, map[string]string{"field": field, "message": msg}) }
	for _, f := range requiredFields() {
		if f == "customer.contact.email" && p.has(EmailOptional) {
			continue
		}
		if v, ok := lookup(body, f); !ok || v == "" {
			bad(f, "is required")
		}
	}
	if v, ok := lookup(body, "tradingPartnerId"); ok && v != "" {
		pt, _ := p.partner(partner)
		if v != pt.TradingPartnerID {
			bad("tradingPartnerId", "is not permitted")
		}
	}
	if v, ok := lookup(body, "customer.contact.email"); ok && !emailPattern.MatchString(str(v)) {
		bad("customer.contact.email", "is not an email address")
	}
	if v, ok := lookup(body, "customer.address.country"); ok && !contains(assignedCountries(), str(v)) {
		bad("customer.address.country", "is not an ISO 3166-1 alpha-2 code")
	}
	lines, isList := body["orderLines"].([]any)
	if _, ok := body["orderLines"]; ok && (!isList || len(lines) == 0) {
		bad("orderLines", "needs at least one order line")
	}
	for i, l := range lines {
		p.validateLine(i, l, bad)
	}
	return out
}

func (p *Portal) validateLine(i int, line any, bad func(field, msg string)) {
	at := func(f string) string { return "orderLines[" + strconv.Itoa(i) + "]." + f }
	m, _ := line.(map[string]any)
	if id, ok := m["productId"].(string); !ok {
		bad(at("productId"), "is required")
	} else if id != ProductID {
		bad(at("productId"), "is not in the catalogue")
	}
	q, ok := m["quantity"].(float64)
	if _, present := m["quantity"]; !present {
		bad(at("quantity"), "is required")
	} else if !ok || q < 1 || q != float64(int(q)) {
		bad(at("quantity"), "must be an integer of at least 1")
	}
}

func lookup(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
