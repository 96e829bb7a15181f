package strictjson_test

import (
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/strictjson"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name, body, want string
	}{
		{"object", `{"a":1,"b":{"c":[1,{"d":2}]}}`, ""},
		{"scalar", `"x"`, ""},
		{"duplicate at the top", `{"a":1,"a":2}`, `the key "a" is given twice in $`},
		{"duplicate deep", `{"a":{"b":[{"c":1,"c":1}]}}`, `the key "c" is given twice in $.a.b[0]`},
		{"same key in two objects", `{"a":{"x":1},"b":{"x":1}}`, ""},
		{"invalid utf-8", "{\"a\":\"\xff\"}", "not valid UTF-8"},
		{"trailing value", `{} {}`, "more than one JSON value"},
		{"cut short", `{"a":`, "ends before"},
		{"empty", ``, "ends before"},
		{"broken", `{"a" 1}`, "not valid JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := strictjson.Check([]byte(c.body))
			switch {
			case c.want == "" && err != nil:
				t.Errorf("Check(%q) = %v, want nil", c.body, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("Check(%q) = %v, want %q", c.body, err, c.want)
			}
		})
	}
}

// TestDeepBodiesAreRefusedCheaply is the regression test of a remote
// out-of-memory: the checker once built each value's path by copying its
// parent's, so a body nested 100 000 levels deep (600 KB, under every body
// limit) cost memory and time quadratic in its depth, tens of gigabytes.
// Past strictjson.MaxDepth it is now refused at once.
func TestDeepBodiesAreRefusedCheaply(t *testing.T) {
	for name, body := range map[string]string{
		"objects": strings.Repeat(`{"a":`, 100_000) + "1" + strings.Repeat("}", 100_000),
		"arrays":  strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000),
		"mixed":   strings.Repeat(`[{"k":`, 50_000) + "1" + strings.Repeat("}]", 50_000),
	} {
		t.Run(name, func(t *testing.T) {
			err := strictjson.Check([]byte(body))
			if err == nil || !strings.Contains(err.Error(), "deeper than 64 levels") {
				t.Errorf("got %v", err)
			}
		})
	}
	ok := strings.Repeat("[", strictjson.MaxDepth) + strings.Repeat("]", strictjson.MaxDepth)
	if err := strictjson.Check([]byte(ok)); err != nil {
		t.Errorf("%d levels: %v", strictjson.MaxDepth, err)
	}
	if err := strictjson.Check([]byte(`{"a":{"b":[1,{"c":1,"c":2}]}}`)); err == nil || !strings.Contains(err.Error(), "$.a.b[1]") {
		t.Errorf("path of a repeated key: %v", err)
	}
}
