package license

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/compact"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/listing"
)

// Outbox keeps the newest sent messages and forwards them to SMTP when
// configured. Messages never change once sent, so each is kept frozen
// (see package compact): a license email is about 700 bytes of text and
// a fraction of that frozen, the rest being the same in every email.
type Outbox struct {
	smtpAddr string
	timeout  time.Duration
	keep     int

	// mu guards every field below.
	mu sync.Mutex
	// sent[head:] are the messages kept, oldest first; dropped counts
	// those dropped for keep.
	sent    []sentMessage
	head    int
	dropped uint64
	seq     int
}

type sentMessage struct {
	seq    uint64
	number string
	frozen []byte
}

// codec freezes messages against a typical license email.
var codec = compact.NewCodec(func() Message {
	m := Compose(Grant{Partner: "demo-partner", SubscriptionNumber: "A-S00000001", CompanyName: "Acme Corp", ContactName: "Ada Lovelace",
		Email: "ada@example.com", Products: []string{"GitLab Premium - SaaS"}, Users: 10, Start: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)},
		"ZXTeTziBNHtXjBzNupxbvGwm", "GitLab <noreply@gitlab.example>")
	m.ID, m.SMTP = "msg-000001", "disabled"
	return m
}())

// NewOutbox returns an outbox that keeps the newest keep messages (at
// least one); smtpAddr may be empty.
func NewOutbox(smtpAddr string, keep int) *Outbox {
	return &Outbox{smtpAddr: smtpAddr, timeout: 10 * time.Second, keep: max(keep, 1)}
}

// Send records m and, if an SMTP server is configured, hands it over. A
// failed hand-over is recorded on the message; it does not undo the send,
// as a bounce does not undo a real portal's provisioning.
func (o *Outbox) Send(ctx context.Context, m Message) Message {
	m.SMTP = "disabled"
	if o.smtpAddr != "" {
		if err := o.deliver(ctx, m); err != nil {
			m.SMTP = "failed: " + err.Error()
		} else {
			m.SMTP = "sent"
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	m.ID = fmt.Sprintf("msg-%06d", o.seq)
	frozen, err := codec.Freeze(m)
	if err != nil { // a Message always marshals; keep it whole if not
		return m
	}
	o.sent = append(o.sent, sentMessage{seq: uint64(o.seq), number: m.SubscriptionNumber, frozen: frozen})
	if len(o.sent)-o.head > o.keep {
		o.sent[o.head] = sentMessage{}
		o.head++
		o.dropped++
		if o.head >= len(o.sent)/2 {
			n := copy(o.sent, o.sent[o.head:])
			clear(o.sent[n:])
			o.sent, o.head = o.sent[:n], 0
		}
	}
	return m
}

// Dropped is how many messages were sent but are no longer kept.
func (o *Outbox) Dropped() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dropped
}

// Page is one page of the outbox: the messages, oldest first, how many
// match in all, and the cursor of the last one when more follow.
type Page struct {
	Messages []Message
	Total    int
	Next     uint64
}

// List returns one page of the messages, all or those of one subscription
// number, thawing only the page (outside the lock).
func (o *Outbox) List(number string, pg listing.Page) (Page, error) {
	var (
		out  Page
		page [][]byte
		last uint64
	)
	o.mu.Lock()
	all := o.sent[o.head:]
	skip := pg.Offset
	start := 0
	if pg.After > 0 {
		start = sort.Search(len(all), func(i int) bool { return all[i].seq > pg.After })
		for _, m := range all[:start] {
			if number == "" || m.number == number {
				out.Total++
			}
		}
	}
	for _, m := range all[start:] {
		if number != "" && m.number != number {
			continue
		}
		out.Total++
		switch {
		case pg.After == 0 && skip > 0:
			skip--
		case len(page) < pg.Limit:
			page, last = append(page, m.frozen), m.seq
		case out.Next == 0:
			out.Next = last
		}
	}
	o.mu.Unlock()
	out.Messages = make([]Message, 0, len(page))
	for _, frozen := range page {
		var m Message
		if err := codec.Thaw(frozen, &m); err != nil {
			return Page{}, err
		}
		out.Messages = append(out.Messages, m)
	}
	return out, nil
}

// Messages lists the whole outbox, oldest first.
func (o *Outbox) Messages() []Message {
	p, _ := o.List("", listing.Page{Limit: int(^uint(0) >> 1)})
	return p.Messages
}

// Reset empties the outbox.
func (o *Outbox) Reset() {
	o.mu.Lock()
	o.sent, o.head, o.dropped, o.seq = nil, 0, 0, 0
	o.mu.Unlock()
}
