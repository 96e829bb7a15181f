package ci_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// exprValue is a value of GitHub's expression language, reduced to what
// our action uses: strings and booleans.
type exprValue struct {
	s      string
	isBool bool
	b      bool
}

func (v exprValue) truthy() bool {
	if v.isBool {
		return v.b
	}
	return v.s != ""
}

func (v exprValue) String() string {
	if v.isBool {
		return fmt.Sprint(v.b)
	}
	return v.s
}

// exprContext answers the names an expression may read (inputs.x,
// github.action_path, steps.id.outputs.x, runner.temp) and the job's
// status for success(), failure() and always().
type exprContext struct {
	lookup func(name string) (string, bool)
	failed bool
}

var exprToken = regexp.MustCompile(`\s*(\|\||&&|==|!=|!|\(|\)|'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_.\-]*)`)

// evalExpr evaluates one expression (without ${{ }}): comparisons, &&, ||,
// !, parentheses, string literals, context names and the status
// functions. Anything else is an error, so the action cannot use a
// construct this test does not run.
func evalExpr(expr string, ctx exprContext) (exprValue, error) {
	var toks []string
	rest := expr
	for strings.TrimSpace(rest) != "" {
		m := exprToken.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			return exprValue{}, fmt.Errorf("expression %q: cannot read %q", expr, rest)
		}
		toks = append(toks, rest[m[2]:m[3]])
		rest = rest[m[1]:]
	}
	p := &exprParser{toks: toks, ctx: ctx}
	v, err := p.or()
	if err == nil && p.pos < len(p.toks) {
		err = fmt.Errorf("expression %q: unexpected %q", expr, p.toks[p.pos])
	}
	return v, err
}

type exprParser struct {
	toks []string
	pos  int
	ctx  exprContext
}

func (p *exprParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *exprParser) or() (exprValue, error) {
	l, err := p.and()
	for err == nil && p.peek() == "||" {
		p.pos++
		var r exprValue
		r, err = p.and()
		l = exprValue{isBool: true, b: l.truthy() || r.truthy()}
	}
	return l, err
}

func (p *exprParser) and() (exprValue, error) {
	l, err := p.cmp()
	for err == nil && p.peek() == "&&" {
		p.pos++
		var r exprValue
		r, err = p.cmp()
		l = exprValue{isBool: true, b: l.truthy() && r.truthy()}
	}
	return l, err
}

func (p *exprParser) cmp() (exprValue, error) {
	l, err := p.unary()
	if err != nil {
		return l, err
	}
	if op := p.peek(); op == "==" || op == "!=" {
		p.pos++
		r, err := p.unary()
		// GitHub compares strings case-insensitively.
		eq := strings.EqualFold(l.String(), r.String())
		return exprValue{isBool: true, b: eq == (op == "==")}, err
	}
	return l, nil
}

func (p *exprParser) unary() (exprValue, error) {
	tok := p.peek()
	p.pos++
	switch {
	case tok == "!":
		v, err := p.unary()
		return exprValue{isBool: true, b: !v.truthy()}, err
	case tok == "(":
		v, err := p.or()
		if p.peek() != ")" {
			return v, fmt.Errorf("missing )")
		}
		p.pos++
		return v, err
	case strings.HasPrefix(tok, "'"):
		return exprValue{s: strings.ReplaceAll(tok[1:len(tok)-1], "''", "'")}, nil
	case tok == "true" || tok == "false":
		return exprValue{isBool: true, b: tok == "true"}, nil
	case tok == "always" || tok == "success" || tok == "failure":
		if p.peek() != "(" || p.pos+1 >= len(p.toks) || p.toks[p.pos+1] != ")" {
			return exprValue{}, fmt.Errorf("%s must be called: %s()", tok, tok)
		}
		p.pos += 2
		b := map[string]bool{"always": true, "success": !p.ctx.failed, "failure": p.ctx.failed}[tok]
		return exprValue{isBool: true, b: b}, nil
	case tok == "" || tok == ")" || tok == "&&" || tok == "||" || tok == "==" || tok == "!=":
		return exprValue{}, fmt.Errorf("unexpected %q", tok)
	}
	v, ok := p.ctx.lookup(tok)
	if !ok {
		return exprValue{}, fmt.Errorf("unknown name %s", tok)
	}
	return exprValue{s: v}, nil
}

var exprTemplate = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// expand substitutes every ${{ expr }} of s, as the runner does in `run:`,
// `env:`, `with:` and outputs.
func expand(s string, ctx exprContext) (string, error) {
	var firstErr error
	out := exprTemplate.ReplaceAllStringFunc(s, func(m string) string {
		v, err := evalExpr(exprTemplate.FindStringSubmatch(m)[1], ctx)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v.String()
	})
	return out, firstErr
}

// stepRuns evaluates a step's if: as the runner does: without a status
// function, success() && is implied.
func stepRuns(cond string, ctx exprContext) (bool, error) {
	cond = strings.TrimSpace(cond)
	if m := exprTemplate.FindStringSubmatch(cond); m != nil && m[0] == cond {
		cond = m[1]
	}
	if cond == "" {
		return !ctx.failed, nil
	}
	if !regexp.MustCompile(`\b(always|success|failure|cancelled)\(`).MatchString(cond) {
		cond = "success() && (" + cond + ")"
	}
	v, err := evalExpr(cond, ctx)
	return v.truthy(), err
}

func TestExpressions(t *testing.T) {
	vars := map[string]string{"inputs.upload": "true", "steps.run.outputs.exit-code": "3", "inputs.empty": ""}
	ctx := exprContext{lookup: func(n string) (string, bool) { v, ok := vars[n]; return v, ok }}
	failed := ctx
	failed.failed = true
	for _, tc := range []struct {
		name string
		cond string
		ctx  exprContext
		want bool
	}{
		{"no condition runs after success", "", ctx, true},
		{"no condition is skipped after a failure", "", failed, false},
		{"an implied success()", "inputs.upload == 'true'", failed, false},
		{"always() after a failure", "always() && inputs.upload == 'true'", failed, true},
		{"!= on an output", "always() && steps.run.outputs.exit-code != ''", failed, true},
		{"an empty input is falsy", "${{ inputs.empty }}", ctx, false},
		{"negation and parentheses", "!(inputs.upload == 'TRUE')", ctx, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := stepRuns(tc.cond, tc.ctx)
			if err != nil || got != tc.want {
				t.Fatalf("stepRuns(%q) = %v, %v; want %v", tc.cond, got, err, tc.want)
			}
		})
	}
	if _, err := stepRuns("hashFiles('x')", ctx); err == nil {
		t.Fatal("a function the test does not implement must be an error, not false")
	}
	got, err := expand("exit ${{ steps.run.outputs.exit-code }}; ${{inputs.upload}}", ctx)
	if err != nil || got != "exit 3; true" {
		t.Fatalf("expand = %q, %v", got, err)
	}
}
