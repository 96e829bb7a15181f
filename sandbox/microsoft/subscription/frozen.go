package subscription

import (
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// A final subscription (Unsubscribed, no operation pending) changes no
// more but for a note on its timeline, yet a long-lived sandbox keeps
// it, with its operations and timeline, for as long as retention allows:
// as structs that is several KB (a Subscription alone is ~330 bytes of
// fields before its strings). So the store freezes it into one compact
// []byte: GUIDs as their 16 bytes, the vocabulary (publisher, offer,
// plan, statuses, actions, timeline kinds) as an index into the store's
// interner, times as varints, and the strings a purchase derives from
// an id (the default name's suffix, an invented customer's e-mail and
// PUID) as one flag. Reads thaw it into the very values they read
// before (TestFreezeRoundTrip compares every field), so the answers are
// unchanged.

// interner numbers the repeated strings of frozen records. It is bounded:
// past maxInterned strings, or for a long one, the string is written out.
type interner struct {
	byValue map[string]uint32
	values  []string
}

const (
	maxInterned    = 1 << 14
	maxInternedLen = 48
)

func (in *interner) index(s string) (uint32, bool) {
	if i, ok := in.byValue[s]; ok {
		return i, true
	}
	if len(s) > maxInternedLen || len(in.values) >= maxInterned {
		return 0, false
	}
	if in.byValue == nil {
		in.byValue = map[string]uint32{}
	}
	s = strings.Clone(s)
	in.byValue[s] = uint32(len(in.values))
	in.values = append(in.values, s)
	return uint32(len(in.values) - 1), true
}

// String tags.
const (
	tagEmpty byte = iota
	tagInline
	tagGUID
	tagInterned
)

type encoder struct {
	b  []byte
	in *interner
}

func (e *encoder) uvarint(n uint64) { e.b = binary.AppendUvarint(e.b, n) }
func (e *encoder) varint(n int64)   { e.b = binary.AppendVarint(e.b, n) }

func (e *encoder) flag(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// str writes s; vocab strings are interned.
func (e *encoder) str(s string, vocab bool) {
	if s == "" {
		e.b = append(e.b, tagEmpty)
		return
	}
	if g, ok := parseGUID(s); ok {
		e.b = append(append(e.b, tagGUID), g[:]...)
		return
	}
	if vocab {
		if i, ok := e.in.index(s); ok {
			e.b = append(e.b, tagInterned)
			e.uvarint(uint64(i))
			return
		}
	}
	e.b = append(e.b, tagInline)
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// when writes a UTC time (the sandbox clock's); freeze refuses others.
func (e *encoder) when(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.varint(t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

func (e *encoder) whenPtr(t *time.Time) {
	if t == nil {
		e.b = append(e.b, 2)
		return
	}
	e.when(*t)
}

var errCorrupt = errors.New("frozen record: corrupt")

type decoder struct {
	b   []byte
	in  *interner
	err error
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *decoder) varint() int64 {
	n, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *decoder) flag() bool { return d.byte() == 1 }

func (d *decoder) str() string {
	switch d.byte() {
	case tagEmpty:
		return ""
	case tagGUID:
		if len(d.b) < 16 {
			d.err = errCorrupt
			return ""
		}
		s := formatGUID(d.b[:16])
		d.b = d.b[16:]
		return s
	case tagInterned:
		i := d.uvarint()
		if i >= uint64(len(d.in.values)) {
			d.err = errCorrupt
			return ""
		}
		return d.in.values[i]
	default:
		n := d.uvarint()
		if n > uint64(len(d.b)) {
			d.err = errCorrupt
			return ""
		}
		s := string(d.b[:n])
		d.b = d.b[n:]
		return s
	}
}

func (d *decoder) whenTag(tag byte) time.Time {
	if tag == 0 {
		return time.Time{}
	}
	sec := d.varint()
	return time.Unix(sec, int64(d.uvarint())).UTC()
}

func (d *decoder) when() time.Time { return d.whenTag(d.byte()) }

func (d *decoder) whenPtr() *time.Time {
	tag := d.byte()
	if tag == 2 {
		return nil
	}
	t := d.whenTag(tag)
	return &t
}

// parseGUID reads a GUID in the sandbox's own form, lower-case with
// hyphens; any other spelling is kept as written.
func parseGUID(s string) (g [16]byte, ok bool) {
	if len(s) != 36 {
		return g, false
	}
	j := 0
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return g, false
			}
			continue
		}
		v, ok := lowerHex(s[i])
		if !ok {
			return g, false
		}
		if j%2 == 0 {
			g[j/2] = v << 4
		} else {
			g[j/2] |= v
		}
		j++
	}
	return g, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func formatGUID(g []byte) string {
	var out [36]byte
	j := 0
	for i := range out {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			out[i] = '-'
			continue
		}
		v := g[j/2]
		if j%2 == 0 {
			v >>= 4
		}
		out[i] = hexDigits[v&0xf]
		j++
	}
	return string(out[:])
}

// GUIDBytes is the 16 bytes of a GUID in the sandbox's own form
// (lower-case, hyphenated), or false for any other text.
func GUIDBytes(s string) ([16]byte, bool) { return parseGUID(s) }

// FormatGUID is the sandbox's form of 16 bytes of GUID.
func FormatGUID(b []byte) string { return formatGUID(b) }
