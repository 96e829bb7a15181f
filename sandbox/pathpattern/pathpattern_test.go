package pathpattern_test

import (
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/pathpattern"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"/oauth/token", "/oauth/token", true},
		{"/oauth/token", "/oauth/token/", false},
		{"/api/v1/marketplace/subscriptions/*", "/api/v1/marketplace/subscriptions/order-1", true},
		{"/api/v1/marketplace/subscriptions/*", "/api/v1/marketplace/subscriptions/a%2Fb", true},
		{"/api/v1/marketplace/subscriptions/*", "/api/v1/marketplace/subscriptions/", false},
		{"/api/v1/marketplace/subscriptions/*", "/api/v1/marketplace/subscriptions", false},
		{"/api/v1/marketplace/subscriptions/*", "/api/v1/marketplace/subscriptions/a/b", false},
		{"/api/**", "/api/v1/marketplace/subscriptions/a", true},
		{"/api/**", "/api", true},
		{"/api/**", "/oauth/token", false},
		{"/*/token", "/oauth/token", true},
	}
	for _, tc := range cases {
		t.Run(tc.pattern+" "+tc.path, func(t *testing.T) {
			p, err := pathpattern.Parse(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Match(tc.path); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseRefusesBadPatterns(t *testing.T) {
	for _, text := range []string{"", "api", "/a*/b", "/**/b", "/a/b*"} {
		if _, err := pathpattern.Parse(text); err == nil {
			t.Errorf("Parse(%q) accepted", text)
		}
	}
}
