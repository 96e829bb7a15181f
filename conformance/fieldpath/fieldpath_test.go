package fieldpath_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/fieldpath"
)

func doc(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGet(t *testing.T) {
	body := `{"error":"validation_failed","errors":[{"field":"a"},{"field":"b"}],"n":{"m":[1,2]}}`
	tests := []struct {
		name, path string
		want       any
		present    bool
	}{
		{"top-level key", "error", "validation_failed", true},
		{"root", "$", nil, true},
		{"index then key", "errors[1].field", "b", true},
		{"wildcard collects", "errors[*].field", []any{"a", "b"}, true},
		{"nested index", "$.n.m[0]", 1.0, true},
		{"missing key", "nope", nil, false},
		{"index out of range", "errors[5]", nil, false},
		{"key on array", "errors.field", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fieldpath.Parse(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := p.Get(doc(t, body))
			if ok != tt.present {
				t.Fatalf("present = %v, want %v", ok, tt.present)
			}
			if tt.path == "$" || !ok {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, bad := range []string{"a[", "a[x]", "a[-1]", "a..b"} {
		t.Run(bad, func(t *testing.T) {
			if _, err := fieldpath.Parse(bad); err == nil {
				t.Errorf("Parse(%q) accepted", bad)
			}
		})
	}
}

func TestDeleteAndSet(t *testing.T) {
	tests := []struct {
		name, path, want string
		set              any
		del              bool
	}{
		{"delete nested key", "customer.contact.email", `{"customer":{"contact":{"name":"x"}},"lines":[{"p":1},{"p":2}]}`, nil, true},
		{"delete array element", "lines[0]", `{"customer":{"contact":{"email":"e","name":"x"}},"lines":[{"p":2}]}`, nil, true},
		{"set inside array", "lines[1].p", `{"customer":{"contact":{"email":"e","name":"x"}},"lines":[{"p":1},{"p":9}]}`, 9, false},
		{"set creates objects", "a.b", `{"a":{"b":true},"customer":{"contact":{"email":"e","name":"x"}},"lines":[{"p":1},{"p":2}]}`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := doc(t, `{"customer":{"contact":{"email":"e","name":"x"}},"lines":[{"p":1},{"p":2}]}`)
			p, _ := fieldpath.Parse(tt.path)
			var err error
			if tt.del {
				d, err = p.Delete(d)
			} else {
				d, err = p.Set(d, tt.set)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(d)
			if string(got) != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDeleteMissingFieldIsAnError(t *testing.T) {
	p, _ := fieldpath.Parse("customer.phone")
	if _, err := p.Delete(doc(t, `{"customer":{}}`)); err == nil {
		t.Error("deleting a missing field succeeded")
	}
}
