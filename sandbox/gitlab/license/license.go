// Package license builds the license a provisioned subscription grants and
// keeps the notification emails the portal "sent" in an outbox that tests
// and people can read. When an SMTP server is configured the email is also
// handed to it, so a partner can watch it arrive in a mail catcher.
package license

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"
)

// Message is one license notification.
type Message struct {
	ID                 string    `json:"id"`
	To                 string    `json:"to"`
	From               string    `json:"from"`
	Subject            string    `json:"subject"`
	Body               string    `json:"body"`
	ActivationCode     string    `json:"activationCode"`
	SubscriptionNumber string    `json:"subscriptionNumber"`
	Partner            string    `json:"partner"`
	SentAt             time.Time `json:"sentAt"`
	// SMTP is "disabled" when no server is configured, "sent", or the
	// error the server gave.
	SMTP string `json:"smtp"`
	// Bounced says the recipient's server returned the email (a scripted
	// bounce); the portal does not undo the provisioning for it.
	Bounced      bool   `json:"bounced"`
	BounceReason string `json:"bounceReason,omitempty"`
}

// Grant is what the license is built from.
type Grant struct {
	Partner            string
	SubscriptionNumber string
	CompanyName        string
	ContactName        string
	Email              string
	Products           []string
	Users              int
	Start              time.Time
}

// NewActivationCode makes a 24-character cloud-licensing activation code.
func NewActivationCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	var b [24]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// Compose writes the notification for a grant.
func Compose(g Grant, code, from string) Message {
	expiry := g.Start.AddDate(1, 0, 0)
	body := strings.Join([]string{
		"Hello " + g.ContactName + ",",
		"",
		"Thank you for your purchase through a GitLab marketplace partner.",
		"Activate your GitLab subscription with this activation code:",
		"",
		"    " + code,
		"",
		"Name: " + g.ContactName,
		"Company: " + g.CompanyName,
		"Email: " + g.Email,
		"Subscription: " + g.SubscriptionNumber,
		"Products: " + strings.Join(g.Products, ", "),
		fmt.Sprintf("Users: %d", g.Users),
		"Starts: " + g.Start.Format("2006-01-02"),
		"Expires: " + expiry.Format("2006-01-02"),
	}, "\r\n")
	return Message{
		To: g.Email, From: from, Subject: "Your GitLab activation code",
		Body: body, ActivationCode: code, SubscriptionNumber: g.SubscriptionNumber,
		Partner: g.Partner, SentAt: g.Start,
	}
}

func (o *Outbox) deliver(ctx context.Context, m Message) error {
	dialer := net.Dialer{Timeout: o.timeout}
	conn, err := dialer.DialContext(ctx, "tcp", o.smtpAddr)
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(o.timeout))
	host, _, _ := net.SplitHostPort(o.smtpAddr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Mail(address(m.From)); err != nil {
		return err
	}
	if err := c.Rcpt(m.To); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	header := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", m.From, m.To, m.Subject)
	if _, err := w.Write([]byte(header + m.Body + "\r\n")); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// address takes the bare address out of "Name <addr>".
func address(from string) string {
	if i := strings.LastIndex(from, "<"); i >= 0 {
		return strings.TrimSuffix(from[i+1:], ">")
	}
	return from
}
