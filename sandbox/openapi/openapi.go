// Package openapi checks HTTP traffic against the OpenAPI documents the
// sandbox writes for each marketplace, with libopenapi-validator, and turns
// its findings into a flat list of field errors that a vendor's error
// envelope can carry. The validator's own error values are never shown to
// clients: they embed the whole schema and echo the request body.
package openapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
)

// FieldError is one problem with one field of a request body. Field is a
// dotted path with [i] for array items ("orderLines[0].quantity"); "body"
// stands for the document as a whole.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Validator validates requests and responses against one document. One
// Validator is safe for concurrent use.
type Validator struct {
	v    validator.Validator
	fast bodyOnly
}

// New parses an OpenAPI 3.1 document. Format assertions (email, date-time)
// are on, and compiled path patterns are cached (without the cache the
// validator recompiles them on every request).
func New(document []byte) (*Validator, error) {
	doc, err := libopenapi.NewDocument(document)
	if err != nil {
		return nil, fmt.Errorf("parsing OpenAPI document: %w", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("building OpenAPI model: %w", err)
	}
	opts := []config.Option{
		config.WithRegexCache(&sync.Map{}),
		config.WithFormatAssertions(),
		config.WithoutSecurityValidation(),
	}
	fast, err := compileBodyOnly(&model.Model, opts...)
	if err != nil {
		return nil, fmt.Errorf("compiling request body schemas: %w", err)
	}
	return &Validator{v: validator.NewValidatorFromV3Model(&model.Model, opts...), fast: fast}, nil
}

// ValidateRequest checks r, whose body has already been read into body,
// and returns every problem found, sorted by field. An empty result means
// the request is valid.
func (v *Validator) ValidateRequest(r *http.Request, body []byte) []FieldError {
	_, fields := v.ValidateJSONRequest(r, body)
	return fields
}

// ValidateJSONRequest is ValidateRequest that also returns the body as
// encoding/json decodes it into an any, when the body is valid JSON that
// the validator decoded on its way (nil otherwise), so that the caller
// need not decode it again.
func (v *Validator) ValidateJSONRequest(r *http.Request, body []byte) (any, []FieldError) {
	if value, ok := v.fast.valid(r, body); ok {
		return value, nil
	}
	// A shallow copy is enough: the validator only reads the request, and
	// r.Clone would copy every header on the hot path.
	shallow := *r
	shallow.Body = io.NopCloser(bytes.NewReader(body))
	shallow.ContentLength = int64(len(body))
	ok, errs := v.v.ValidateHttpRequestSync(&shallow)
	if ok {
		return nil, nil
	}
	return nil, flatten(errs)
}

// ValidateResponse checks a response to req and returns one sentence per
// way it breaks the document (an undeclared status code, a header, a body
// field), deduplicated and sorted; the conformance harness reports them.
func (v *Validator) ValidateResponse(req *http.Request, resp *http.Response) []string {
	ok, errs := v.v.ValidateHttpResponse(req, resp)
	if ok {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, e := range errs {
		if len(e.SchemaValidationErrors) == 0 {
			add(strings.TrimSpace(e.Message + ": " + e.Reason))
			continue
		}
		for _, f := range e.SchemaValidationErrors {
			field := f.FieldPath
			if field == "" {
				field = "$"
			}
			add(fmt.Sprintf("%s: %s: %s", e.Message, field, f.Reason))
		}
	}
	sort.Strings(out)
	return out
}

func flatten(errs []*verrors.ValidationError) []FieldError {
	var out []FieldError
	for _, e := range errs {
		out = append(out, flattenOne(e)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return dedupe(out)
}

func flattenOne(e *verrors.ValidationError) []FieldError {
	if len(e.SchemaValidationErrors) == 0 {
		return []FieldError{{Field: "body", Message: e.Message}}
	}
	var out []FieldError
	for _, f := range e.SchemaValidationErrors {
		path := fieldPath(f.FieldPath)
		keyword := f.KeywordLocation[strings.LastIndex(f.KeywordLocation, "/")+1:]
		if keyword == "required" {
			for _, name := range quoted.FindAllStringSubmatch(f.Reason, -1) {
				out = append(out, FieldError{Field: join(path, name[1]), Message: "is required"})
			}
			continue
		}
		if keyword == "additionalProperties" {
			for _, name := range quoted.FindAllStringSubmatch(f.Reason, -1) {
				out = append(out, FieldError{Field: join(path, name[1]), Message: "is not allowed"})
			}
			continue
		}
		out = append(out, FieldError{Field: orBody(path), Message: message(keyword, f.Reason)})
	}
	return out
}

var (
	quoted  = regexp.MustCompile(`'([^']*)'`)
	numbers = regexp.MustCompile(`want (.+)$`)
)

// message rewrites a JSON Schema finding as a short sentence about the
// field that does not echo the submitted value.
func message(keyword, reason string) string {
	want := ""
	if m := numbers.FindStringSubmatch(reason); m != nil {
		want = m[1]
	}
	switch keyword {
	case "type":
		return "must be of type " + want
	case "minLength":
		if want == "1" {
			return "must not be empty"
		}
		return "must be at least " + want + " characters long"
	case "maxLength":
		return "must be at most " + want + " characters long"
	case "minimum":
		return "must be at least " + want
	case "maximum":
		return "must be at most " + want
	case "minItems":
		return "must have at least " + want + " item(s)"
	case "maxItems":
		return "must have at most " + want + " item(s)"
	case "format":
		if i := strings.Index(reason, "is not valid "); i >= 0 {
			kind := strings.SplitN(reason[i+len("is not valid "):], ":", 2)[0]
			return "must be a valid " + kind
		}
	case "pattern":
		if i := strings.LastIndex(reason, "does not match pattern "); i >= 0 {
			return "must match the pattern " + strings.ReplaceAll(reason[i+len("does not match pattern "):], `\\`, `\`)
		}
	case "enum", "const":
		return "must be one of the allowed values"
	}
	return reason
}

// fieldPath turns the validator's JSONPath ("$.orderLines[0].quantity") into
// ours ("orderLines[0].quantity").
func fieldPath(jsonPath string) string {
	p := strings.TrimPrefix(jsonPath, "$")
	return strings.TrimPrefix(p, ".")
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func dedupe(in []FieldError) []FieldError {
	out := in[:0]
	seen := map[FieldError]bool{}
	for _, f := range in {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Pending is a validator being built in the background. Building one
// parses the document and compiles every schema (about 20 ms here), which
// would otherwise sit between starting the sandbox and its first answer;
// requests that need validation wait for it instead.
type Pending struct {
	done chan struct{}
	v    *Validator
	err  error
}

// Prepare starts building a validator for document and returns at once.
func Prepare(document []byte) *Pending {
	p := &Pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.v, p.err = New(document)
	}()
	return p
}

// Get waits until the validator is built.
func (p *Pending) Get() (*Validator, error) {
	<-p.done
	return p.v, p.err
}
