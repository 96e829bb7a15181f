package expect_test

import (
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/expect"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

func TestMatch(t *testing.T) {
	sub := &scenario.Matcher{Equals: 2.0, HasEquals: true}
	tests := []struct {
		name string
		m    scenario.Matcher
		v    expect.Value
		mode expect.Mode
		want []string // substrings of the failures, in order; nil = pass
	}{
		{"equals passes", scenario.Matcher{Equals: "Created", HasEquals: true}, expect.Found("Created"), expect.JSON, nil},
		{"equals fails", scenario.Matcher{Equals: "Created", HasEquals: true}, expect.Found("Creating"), expect.JSON, []string{`want "Created", got "Creating"`}},
		{"numbers compare by value", scenario.Matcher{Equals: uint64(7200), HasEquals: true}, expect.Found(7200.0), expect.JSON, nil},
		{"JSON mode is strict on types", scenario.Matcher{Equals: 7200.0, HasEquals: true}, expect.Found("7200"), expect.JSON, []string{`want 7200, got "7200"`}},
		{"text mode compares strings", scenario.Matcher{Equals: 7200.0, HasEquals: true}, expect.Found("7200"), expect.Text, nil},
		{"objects compare deeply", scenario.Matcher{Equals: map[string]any{"a": []any{1.0}}, HasEquals: true}, expect.Found(map[string]any{"a": []any{1.0}}), expect.JSON, nil},
		{"null equals", scenario.Matcher{Equals: nil, HasEquals: true}, expect.Found("x"), expect.JSON, []string{"want null"}},
		{"one of fails", scenario.Matcher{OneOf: []any{"Provisioned", "Failed"}}, expect.Found("Created"), expect.JSON, []string{`want one of ["Provisioned","Failed"]`}},
		{"matches passes", scenario.Matcher{Matches: "^A-S[0-9]{8}$"}, expect.Found("A-S00000001"), expect.JSON, nil},
		{"matches fails", scenario.Matcher{Matches: "^A-S[0-9]{8}$"}, expect.Found("S-1"), expect.JSON, []string{`want matching "^A-S[0-9]{8}$"`}},
		{"matches needs a string", scenario.Matcher{Matches: "1"}, expect.Found(1.0), expect.JSON, []string{"want a string"}},
		{"present fails on absent", scenario.Matcher{Present: true}, expect.Missing(), expect.JSON, []string{"want present, got absent"}},
		{"absent fails on present", scenario.Matcher{Absent: true}, expect.Found("A-S1"), expect.JSON, []string{`want absent, got "A-S1"`}},
		{"absent passes", scenario.Matcher{Absent: true}, expect.Missing(), expect.JSON, nil},
		{"conditions on a missing value fail once", scenario.Matcher{Equals: "x", HasEquals: true, Matches: "x"}, expect.Missing(), expect.JSON, []string{`want present and "x", got absent`}},
		{"gt lt pass", scenario.Matcher{GT: 0.0, LT: 10.0}, expect.Found(5.0), expect.JSON, nil},
		{"ge le fail together", scenario.Matcher{GE: 10.0, LE: 1.0}, expect.Found(5.0), expect.JSON, []string{"want at least 10, got 5", "want at most 1, got 5"}},
		{"bound from a variable", scenario.Matcher{GE: "1700000000"}, expect.Found(1600000000.0), expect.JSON, []string{"want at least 1.7e+09"}},
		{"comparison needs a number", scenario.Matcher{GT: 1.0}, expect.Found("abc"), expect.JSON, []string{"want a number greater than 1"}},
		{"length of string", scenario.Matcher{Length: &scenario.Matcher{Equals: 43.0, HasEquals: true}}, expect.Found("short"), expect.JSON, []string{"length: want 43, got 5"}},
		{"length of array with bound", scenario.Matcher{Length: &scenario.Matcher{GE: 1.0}}, expect.Found([]any{}), expect.JSON, []string{"length: want at least 1, got 0"}},
		{"length nested passes", scenario.Matcher{Length: sub}, expect.Found([]any{1.0, 2.0}), expect.JSON, nil},
		{"contains element", scenario.Matcher{Contains: "customer", HasContains: true}, expect.Found([]any{"orderLines", "customer"}), expect.JSON, nil},
		{"contains element fails", scenario.Matcher{Contains: "customer", HasContains: true}, expect.Found([]any{"orderLines"}), expect.JSON, []string{`want something containing "customer"`}},
		{"contains substring", scenario.Matcher{Contains: "invalid_token", HasContains: true}, expect.Found(`Bearer error="invalid_token"`), expect.Text, nil},
		{"excludes substring passes", scenario.Matcher{Excludes: "s3cret", HasExcludes: true}, expect.Found(`{"client_secret":"****"}`), expect.Text, nil},
		{"excludes substring fails", scenario.Matcher{Excludes: "s3cret", HasExcludes: true}, expect.Found(`{"client_secret":"s3cret"}`), expect.Text, []string{`want nothing containing "s3cret"`}},
		{"excludes element fails", scenario.Matcher{Excludes: 500.0, HasExcludes: true}, expect.Found([]any{500.0, 200.0}), expect.JSON, []string{"want nothing containing 500"}},
		{"excludes key passes", scenario.Matcher{Excludes: "failureReason", HasExcludes: true}, expect.Found(map[string]any{"status": "Provisioned"}), expect.JSON, nil},
		{"excludes needs a container", scenario.Matcher{Excludes: "x", HasExcludes: true}, expect.Found(1.0), expect.JSON, []string{`want nothing containing "x", got 1`}},
		{"type integer", scenario.Matcher{Type: "integer"}, expect.Found(1.5), expect.JSON, []string{"want type integer, got 1.5"}},
		{"type string passes", scenario.Matcher{Type: "string"}, expect.Found("x"), expect.JSON, nil},
		{"every failure is reported", scenario.Matcher{Equals: "a", HasEquals: true, Matches: "^b", Type: "number"}, expect.Found("c"), expect.JSON, []string{`want "a"`, `want matching "^b"`, "want type number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := expect.Match(tt.m, tt.v, tt.mode)
			if len(got) != len(tt.want) {
				t.Fatalf("failures = %q, want %d matching %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("failure %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestMatchContainsAllReportsEachMissingElement(t *testing.T) {
	m := scenario.Matcher{ContainsAll: []any{"a", "b", "c"}}
	got := expect.Match(m, expect.Found([]any{"a"}), expect.JSON)
	if len(got) != 2 || !strings.Contains(got[0], `"b"`) || !strings.Contains(got[1], `"c"`) {
		t.Errorf("failures = %q", got)
	}
}
