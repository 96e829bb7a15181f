package license_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/license"
)

// fakeSMTP accepts one message and records what it received.
type fakeSMTP struct {
	ln   net.Listener
	mu   sync.Mutex
	data []string
	done chan struct{}
}

func startSMTP(t *testing.T, rejectRcpt bool) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{ln: ln, done: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go s.serve(rejectRcpt)
	return s
}

func (s *fakeSMTP) serve(rejectRcpt bool) {
	defer close(s.done)
	conn, err := s.ln.Accept()
	if err != nil {
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	reply := func(line string) { _, _ = conn.Write([]byte(line + "\r\n")) }
	reply("220 fake ESMTP")
	inData := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.data = append(s.data, line)
		s.mu.Unlock()
		switch {
		case inData && line == ".":
			inData = false
			reply("250 queued")
		case inData:
		case strings.HasPrefix(line, "EHLO"), strings.HasPrefix(line, "HELO"):
			reply("250 fake")
		case strings.HasPrefix(line, "RCPT") && rejectRcpt:
			reply("550 mailbox unavailable")
		case strings.HasPrefix(line, "DATA"):
			inData = true
			reply("354 go ahead")
		case strings.HasPrefix(line, "QUIT"):
			reply("221 bye")
			return
		default:
			reply("250 ok")
		}
	}
}

func grant() license.Grant {
	return license.Grant{Partner: "p", SubscriptionNumber: "A-S00000001", CompanyName: "Acme", ContactName: "Ada L",
		Email: "ada@example.com", Products: []string{"duo_pro"}, Users: 5, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func TestOutboxHandsMailToSMTPWhenConfigured(t *testing.T) {
	smtp := startSMTP(t, false)
	box := license.NewOutbox(smtp.ln.Addr().String(), 100)
	code := license.NewActivationCode()
	m := box.Send(context.Background(), license.Compose(grant(), code, "GitLab <noreply@gitlab.example>"))
	<-smtp.done
	if m.SMTP != "sent" {
		t.Fatalf("SMTP = %q", m.SMTP)
	}
	smtp.mu.Lock()
	got := strings.Join(smtp.data, "\n")
	smtp.mu.Unlock()
	for _, want := range []string{"MAIL FROM:<noreply@gitlab.example>", "RCPT TO:<ada@example.com>", "Subject: Your GitLab activation code", code, "Expires: 2027-01-01"} {
		if !strings.Contains(got, want) {
			t.Errorf("SMTP session lacks %q:\n%s", want, got)
		}
	}
	if msgs := box.Messages(); len(msgs) != 1 || msgs[0].ID != "msg-000001" {
		t.Errorf("outbox %v", msgs)
	}
}

func TestBouncesAreRecordedNotLost(t *testing.T) {
	smtp := startSMTP(t, true)
	box := license.NewOutbox(smtp.ln.Addr().String(), 100)
	m := box.Send(context.Background(), license.Compose(grant(), "CODE", "noreply@gitlab.example"))
	if !strings.HasPrefix(m.SMTP, "failed: 550") {
		t.Errorf("SMTP = %q", m.SMTP)
	}
	if len(box.Messages()) != 1 {
		t.Error("a bounced message must still be in the outbox")
	}
}

func TestWithoutSMTPTheOutboxAlone(t *testing.T) {
	box := license.NewOutbox("", 100)
	if m := box.Send(context.Background(), license.Compose(grant(), "CODE", "x@y.z")); m.SMTP != "disabled" {
		t.Errorf("SMTP = %q", m.SMTP)
	}
	box.Reset()
	if len(box.Messages()) != 0 {
		t.Error("reset kept messages")
	}
}
