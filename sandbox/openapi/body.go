package openapi

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// operationKey names an operation by method and literal path.
type operationKey struct{ method, path string }

// bodyOnly holds the compiled JSON body schemas of the operations whose only
// input is a JSON body: a literal path (no templated segments) and no
// parameters. For those, libopenapi-validator's full check comes down to
// "decode the body and validate it against the compiled schema", but it
// also finds the path, builds its options, hashes the schema and decodes
// the body again on every call, which was a third of the cost of a create.
// The schemas are compiled by libopenapi-validator itself, with the same
// options as the full validator, so both agree on what is valid; a body the
// fast check rejects goes through the full validator, which explains why.
type bodyOnly map[operationKey]*jsonschema.Schema

// compileBodyOnly finds the body-only operations of model and compiles
// their request schemas.
func compileBodyOnly(model *v3.Document, opts ...config.Option) (bodyOnly, error) {
	out := bodyOnly{}
	if model.Paths == nil || model.Paths.PathItems == nil {
		return out, nil
	}
	options := config.NewValidationOptions(opts...)
	version := helpers.VersionToFloat(model.Version)
	for path, item := range model.Paths.PathItems.FromOldest() {
		if strings.ContainsAny(path, "{}") || len(item.Parameters) > 0 {
			continue
		}
		for method, op := range item.GetOperations().FromOldest() {
			schema := jsonBodySchema(op)
			if schema == nil {
				continue
			}
			compiled, err := schema_validation.CompileSchemaForValidation(schema.Schema(), schema_validation.SchemaValidationPurposeRequestBody, options, version)
			if err != nil {
				return nil, err
			}
			out[operationKey{strings.ToUpper(method), path}] = compiled.CompiledSchema
		}
	}
	return out, nil
}

// jsonBodySchema is op's required application/json body schema, when op
// takes nothing else.
func jsonBodySchema(op *v3.Operation) *base.SchemaProxy {
	if len(op.Parameters) > 0 || op.RequestBody == nil || op.RequestBody.Content == nil {
		return nil
	}
	if op.RequestBody.Required == nil || !*op.RequestBody.Required || op.RequestBody.Content.Len() != 1 {
		return nil
	}
	media, ok := op.RequestBody.Content.Get("application/json")
	if !ok || media.Schema == nil {
		return nil
	}
	return media.Schema
}

// valid reports whether body is certainly valid for r: true only when r's
// operation is body-only, r sends exactly application/json and the body
// decodes and passes the compiled schema; then it also returns the decoded
// body. False means "ask the full validator", not "invalid".
func (b bodyOnly) valid(r *http.Request, body []byte) (any, bool) {
	schema, ok := b[operationKey{r.Method, r.URL.Path}]
	if !ok || len(body) == 0 {
		return nil, false
	}
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mediaType != "application/json" {
		return nil, false
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return nil, false
	}
	if schema.Validate(value) != nil {
		return nil, false
	}
	return value, true
}
