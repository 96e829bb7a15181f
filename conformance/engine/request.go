package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/fieldpath"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// maxBody caps what is read of a response; the API's bodies are small.
const maxBody = 10 << 20

// targetFailure is a defect found while preparing a step (e.g. no token
// for a valid client): the step fails with it rather than erroring.
type targetFailure struct{ msg string }

func (e targetFailure) Error() string { return e.msg }

// outgoing is a fully resolved request.
type outgoing struct {
	method string
	// path is relative to the API root, as in the OpenAPI document.
	path   string
	query  url.Values
	header http.Header
	body   []byte
	// timeout bounds this request when the scenario sets one.
	timeout time.Duration
	// base is the root path is relative to, when not the target's (a
	// token service of its own).
	base *url.URL
}

// response is what came back, with the JSON body decoded once.
type response struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
	json         any
	jsonErr      error
}

// send resolves req, authenticates it and performs it.
func (s *state) send(ctx context.Context, req scenario.Request, sr *StepResult, purpose string) (*response, error) {
	out, err := s.build(req)
	if err != nil {
		return nil, err
	}
	if err := s.authenticate(ctx, req.Auth, out, sr); err != nil {
		return nil, err
	}
	return s.do(ctx, out, sr, purpose)
}

func (s *state) build(req scenario.Request) (*outgoing, error) {
	path, err := s.text(req.Path)
	if err != nil {
		return nil, err
	}
	out := &outgoing{method: req.Method, path: path, query: url.Values{}, header: http.Header{}, timeout: time.Duration(req.Timeout)}
	for k, v := range req.Query {
		val, err := s.text(v)
		if err != nil {
			return nil, err
		}
		out.query.Set(k, val)
	}
	if err := s.buildBody(req, out); err != nil {
		return nil, err
	}
	s.dialect.prepare(req, out)
	if req.Service == scenario.ServiceEntra && s.runner.target.Microsoft != nil {
		out.base = s.runner.target.Microsoft.Authority
	}
	for k, v := range req.Headers {
		val, err := s.text(v)
		if err != nil {
			return nil, err
		}
		out.header.Set(k, val)
	}
	return out, nil
}

func (s *state) buildBody(req scenario.Request, out *outgoing) error {
	switch {
	case req.JSON != nil:
		doc, err := s.jsonBody(req)
		if err != nil {
			return err
		}
		out.body, _ = json.Marshal(doc)
		out.header.Set("Content-Type", "application/json")
	case req.Form != nil:
		form := url.Values{}
		for k, v := range req.Form {
			val, err := s.text(v)
			if err != nil {
				return err
			}
			form.Set(k, val)
		}
		out.body = []byte(form.Encode())
		out.header.Set("Content-Type", "application/x-www-form-urlencoded")
	case req.Raw != nil:
		raw, err := s.text(*req.Raw)
		if err != nil {
			return err
		}
		out.body = []byte(raw)
	case req.Repeat != nil:
		text, err := s.text(req.Repeat.Text)
		if err != nil {
			return err
		}
		out.body = bytes.Repeat([]byte(text), req.Repeat.Times)
	}
	return nil
}

// jsonBody resolves the JSON body, then applies set and omit, in sorted
// order so that a run is reproducible.
func (s *state) jsonBody(req scenario.Request) (any, error) {
	doc, err := s.resolve(req.JSON)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(req.Set))
	for k := range req.Set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, err := s.path(k)
		if err != nil {
			return nil, err
		}
		val, err := s.resolve(req.Set[k])
		if err != nil {
			return nil, err
		}
		if doc, err = p.Set(doc, val); err != nil {
			return nil, brokenf("set: %v", err)
		}
	}
	for _, o := range req.Omit {
		p, err := s.path(o)
		if err != nil {
			return nil, err
		}
		if doc, err = p.Delete(doc); err != nil {
			return nil, brokenf("omit: %v", err)
		}
	}
	return doc, nil
}

func (s *state) path(raw string) (fieldpath.Path, error) {
	text, err := s.text(raw)
	if err != nil {
		return nil, err
	}
	p, err := fieldpath.Parse(text)
	if err != nil {
		return nil, brokenf("%v", err)
	}
	return p, nil
}

// setPath appends path, written as it is sent (a control action escapes
// an id holding "/" as %2F), to the target's base path.
func setPath(u *url.URL, path string) {
	joined := strings.TrimRight(u.EscapedPath(), "/") + path
	plain, err := url.PathUnescape(joined)
	if err != nil {
		u.Path, u.RawPath = strings.TrimRight(u.Path, "/")+path, ""
		return
	}
	u.Path, u.RawPath = plain, joined
}

// do performs the request and records the exchange, masked. A request
// that never reached the target is an error (unreachable); one that reached
// it but got no whole HTTP answer is a transportError.
func (s *state) do(ctx context.Context, out *outgoing, sr *StepResult, purpose string) (*response, error) {
	u := *s.runner.target.BaseURL
	if out.base != nil {
		u = *out.base
	}
	setPath(&u, out.path)
	u.RawQuery = out.query.Encode()
	reqCtx, cancel := ctx, context.CancelFunc(func() {})
	if out.timeout > 0 {
		reqCtx, cancel = context.WithTimeout(ctx, out.timeout)
	}
	defer cancel()
	var connected atomic.Bool
	reqCtx = httptrace.WithClientTrace(reqCtx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }})
	httpReq, err := http.NewRequestWithContext(reqCtx, out.method, u.String(), bytes.NewReader(out.body))
	if err != nil {
		return nil, brokenf("building request: %v", err)
	}
	httpReq.Header = out.header.Clone()
	ex := Exchange{Purpose: purpose, Method: out.method, URL: u.String()}
	client := s.runner.client
	if s.freshConnections {
		client = s.runner.freshClient()
	}
	started := time.Now()
	resp, err := client.Do(httpReq)
	ex.Duration = time.Since(started)
	if err != nil {
		ex.Error = err.Error()
		switch {
		case ctx.Err() != nil:
			err = ctx.Err()
		case connected.Load():
			err = transportError{kind: transportKind(err), detail: err.Error()}
			ex.Error = err.Error()
		default:
			err = fmt.Errorf("%s %s: %w", out.method, u.Redacted(), err)
		}
		sr.Exchanges = append(sr.Exchanges, s.mask.exchange(ex, out, nil, nil))
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	ex.Duration = time.Since(started)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		te := transportError{kind: bodyKind(err), detail: fmt.Sprintf("%s %s: status %d, then reading the body: %v", out.method, u.Redacted(), resp.StatusCode, err)}
		ex.Status, ex.Error = resp.StatusCode, te.Error()
		sr.Exchanges = append(sr.Exchanges, s.mask.exchange(ex, out, resp.Header, body))
		return nil, te
	}
	r := &response{method: out.method, path: out.path, status: resp.StatusCode, header: resp.Header, body: body}
	r.jsonErr = json.Unmarshal(body, &r.json)
	if len(body) == 0 {
		r.jsonErr = errors.New("empty body")
	}
	s.mask.learn(r.json)
	ex.Status = resp.StatusCode
	sr.Exchanges = append(sr.Exchanges, s.mask.exchange(ex, out, resp.Header, body))
	return r, nil
}
