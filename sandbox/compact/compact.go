// Package compact keeps records that no longer change small: a record is
// frozen into its JSON, deflated against a dictionary of what records of
// its kind look like, and thawed again when it is read or changed. A
// provisioned GitLab order is about 2 KB of JSON and 4 KB of live heap as
// Go values; frozen against a dictionary made from a typical order, it
// is a couple of hundred bytes, because most of it (field names, status
// words, the details of its timeline, the shape of its ids) repeats from
// one record to the next and the rest is short. That is what lets a
// long-lived sandbox keep a million final records within a gigabyte.
//
// Freezing costs tens of microseconds and thawing about as much; stores
// freeze a record once it is final and keep live records as values.
package compact

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// level is deflate's: the fastest level that uses a dictionary at all
// (Go's BestSpeed ignores it).
const level = 2

// Codec freezes and thaws records of one kind. It is safe for concurrent
// use.
type Codec struct {
	dict    []byte
	writers sync.Pool // *flate.Writer, reset to dict
	readers sync.Pool // io.ReadCloser that is a flate.Resetter
}

// NewCodec returns a codec whose dictionary is the JSON of the samples:
// records of the kind as they typically are, the most typical last
// (deflate finds the nearest match in the window, and prefers the end of
// the dictionary).
func NewCodec(samples ...any) *Codec {
	var dict bytes.Buffer
	for _, s := range samples {
		b, err := json.Marshal(s)
		if err != nil {
			panic(fmt.Sprintf("compact: sample %T: %v", s, err))
		}
		dict.Write(b)
	}
	d := dict.Bytes()
	if len(d) > 32<<10 { // deflate's window: only the end can be referred to
		d = d[len(d)-32<<10:]
	}
	return &Codec{dict: d}
}

// Freeze returns v's frozen form.
func (c *Codec) Freeze(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(raw) / 4)
	w, _ := c.writers.Get().(*flate.Writer)
	if w == nil {
		if w, err = flate.NewWriterDict(&out, level, c.dict); err != nil {
			return nil, err
		}
	} else {
		w.Reset(&out)
	}
	defer c.writers.Put(w)
	if _, err := w.Write(raw); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	// The buffer's spare capacity would stay allocated with the record.
	return bytes.Clone(out.Bytes()), nil
}

// Thaw decodes a frozen record into v.
func (c *Codec) Thaw(frozen []byte, v any) error {
	src := bytes.NewReader(frozen)
	r, _ := c.readers.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReaderDict(src, c.dict)
	} else if err := r.(flate.Resetter).Reset(src, c.dict); err != nil {
		return err
	}
	defer c.readers.Put(r)
	raw, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("compact: thawing a record: %w", err)
	}
	return json.Unmarshal(raw, v)
}
