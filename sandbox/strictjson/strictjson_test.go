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
