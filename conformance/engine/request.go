package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
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
	out := &outgoing{method: req.Method, path: path, query: url.Values{}, header: http.Header{}}
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

// do performs the request and records the exchange, masked.
func (s *state) do(ctx context.Context, out *outgoing, sr *StepResult, purpose string) (*response, error) {
	u := *s.runner.target.BaseURL
	u.Path = strings.TrimRight(u.Path, "/") + out.path
	u.RawQuery = out.query.Encode()
	httpReq, err := http.NewRequestWithContext(ctx, out.method, u.String(), bytes.NewReader(out.body))
	if err != nil {
		return nil, brokenf("building request: %v", err)
	}
	httpReq.Header = out.header.Clone()
	ex := Exchange{Purpose: purpose, Method: out.method, URL: u.String()}
	started := time.Now()
	resp, err := s.runner.client.Do(httpReq)
	ex.Duration = time.Since(started)
	if err != nil {
		ex.Error = err.Error()
		sr.Exchanges = append(sr.Exchanges, s.mask.exchange(ex, out, nil, nil))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s %s: %w", out.method, u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading body: %w", out.method, u.Redacted(), err)
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
