package journal

import "sync"

// maskedBodies remembers the masked form of recently journaled bodies,
// so that an answer the sandbox gives again and again (a client polling
// a status or a subscription) is masked once rather than on every
// request; the entries that share it share its bytes too. A body's
// masked form cannot go stale in the direction that matters: fixed
// secrets never change, and a credential issued later is random, so it
// cannot be in a body seen before it existed; one forgotten later (a
// revoked token) stays masked in the remembered form, which is the safe
// way to be wrong.
type maskedBodies struct {
	// mu guards byBody.
	mu     sync.Mutex
	byBody map[bodyKey]maskedBody
}

// maskedBody is a remembered body: as journaled, and as it was written
// (the map's key, kept so that a captureWriter can take a repeated
// answer without copying it, and still have it should more follow).
type maskedBody struct {
	masked []byte
	raw    string
}

// bodyKey is a body as journaled (already cut to body_bytes) and whether
// it was cut, which changes how its end is masked.
type bodyKey struct {
	body      string
	truncated bool
}

// maxMaskedBodies bounds the cache; past it, the cache starts over. At
// most body_bytes (4 KiB by default) a key, and the masked body it
// shares with the entries, that is about 1 MiB at the worst.
const maxMaskedBodies = 128

func (c *maskedBodies) get(body []byte, truncated bool) (maskedBody, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.byBody[bodyKey{view(body), truncated}] // the lookup copies nothing
	return m, ok
}

func (c *maskedBodies) put(body []byte, truncated bool, masked []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byBody == nil || len(c.byBody) >= maxMaskedBodies {
		c.byBody = make(map[bodyKey]maskedBody, maxMaskedBodies)
	}
	raw := string(body)
	c.byBody[bodyKey{raw, truncated}] = maskedBody{masked: masked, raw: raw}
}
