// Package strictjson checks a JSON document for what encoding/json lets
// through silently: a key given twice in one object (the decoder keeps the
// last, so a client's first value is lost without a word), invalid UTF-8
// (the decoder turns it into U+FFFD, rewriting the client's text) and data
// after the document. The control API and the callout receiver run every
// body through Check before decoding it, so that a body is used exactly
// as sent or refused.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Check reports the first problem of body as an error a person can act
// on, or nil when body is one well-formed JSON value with unique keys.
func Check(body []byte) error {
	if !utf8.Valid(body) {
		return errors.New("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	w := walker{dec: dec, path: make([]string, 0, 8)}
	if err := w.value(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

// MaxDepth is how deeply a checked document may nest objects and arrays.
// No control body needs more than a handful of levels; a bound keeps a
// hostile body (100 000 levels fit in 200 KB) from costing time and memory
// without end.
const MaxDepth = 64

// walker walks a document token by token. path holds the segments of the
// value being read (a key or an index), joined only when a problem is
// reported, so that the walk costs no memory per level.
type walker struct {
	dec  *json.Decoder
	path []string
}

// where renders the path of the value being read, e.g. $.lines[2].
func (w *walker) where() string {
	var b strings.Builder
	b.WriteString("$")
	for _, seg := range w.path {
		b.WriteString(seg)
	}
	return b.String()
}

// value walks one JSON value whose first token is next.
func (w *walker) value() error {
	tok, err := w.dec.Token()
	if err != nil {
		return syntax(err)
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		if len(w.path) >= MaxDepth {
			return fmt.Errorf("the body nests objects and arrays deeper than %d levels (at %s)", MaxDepth, w.where())
		}
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for w.dec.More() {
			keyTok, err := w.dec.Token()
			if err != nil {
				return syntax(err)
			}
			key, _ := keyTok.(string)
			if seen[key] {
				return fmt.Errorf("the key %s is given twice in %s; give it once", strconv.Quote(key), w.where())
			}
			seen[key] = true
			w.path = append(w.path, "."+key)
			err = w.value()
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
		_, err = w.dec.Token()
	case json.Delim('['):
		for i := 0; w.dec.More(); i++ {
			w.path = append(w.path, "["+strconv.Itoa(i)+"]")
			err := w.value()
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
		_, err = w.dec.Token()
	}
	return syntax(err)
}

func syntax(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return errors.New("the body ends before its JSON value does")
	}
	return fmt.Errorf("the body is not valid JSON: %v", err)
}
