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
	if err := value(dec, "$"); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

// value walks one JSON value whose first token is next in dec.
func value(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return syntax(err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return syntax(err)
			}
			key, _ := keyTok.(string)
			if seen[key] {
				return fmt.Errorf("the key %s is given twice in %s; give it once", strconv.Quote(key), path)
			}
			seen[key] = true
			if err := value(dec, path+"."+key); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := value(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token()
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
