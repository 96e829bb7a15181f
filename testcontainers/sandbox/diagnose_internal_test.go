package sandbox

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// fakeEngine has the images in present and pulls with pullErr.
type fakeEngine struct {
	present map[string]bool
	pullErr error
	pulled  []string
}

func (f *fakeEngine) ImageInspect(_ context.Context, image string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	if f.present[image] {
		return client.ImageInspectResult{}, nil
	}
	return client.ImageInspectResult{}, fmt.Errorf("No such image: %s: %w", image, cerrdefs.ErrNotFound)
}

func (f *fakeEngine) ImagePull(_ context.Context, ref string, _ client.ImagePullOptions) (client.ImagePullResponse, error) {
	f.pulled = append(f.pulled, ref)
	if f.pullErr != nil {
		return nil, f.pullErr
	}
	return donePull{strings.NewReader("")}, nil
}

type donePull struct{ *strings.Reader }

func (donePull) Close() error               { return nil }
func (donePull) Wait(context.Context) error { return nil }
func (donePull) JSONMessages(context.Context) iter.Seq2[jsonstream.Message, error] {
	return func(func(jsonstream.Message, error) bool) {}
}

// TestCheckEngine: the causes that used to end as a bare 30 s timeout
// are named, each with its remedy, before anything starts.
func TestCheckEngine(t *testing.T) {
	offline := errors.New("dial tcp: lookup registry-1.docker.io: no such host")
	cases := []struct {
		name         string
		img          string
		present      []string
		pullErr      error
		ryukDisabled bool
		hubPrefix    string
		want         string // in the error; empty: no error
	}{
		{name: "local tag missing", img: "marketplace-sandbox:dev", ryukDisabled: true, want: "run `make image`"},
		{name: "local tag missing, whatever Ryuk", img: "marketplace-sandbox:dev", present: []string{reaperImage}, want: "run `make image`"},
		{name: "registry image missing is left to the pull", img: "ghcr.io/marketplace-sandbox/marketplace-sandbox:latest", ryukDisabled: true},
		{name: "reaper image missing and not pullable", img: "marketplace-sandbox:dev", present: []string{"marketplace-sandbox:dev"}, pullErr: offline, want: "set TESTCONTAINERS_RYUK_DISABLED=true"},
		{name: "reaper image missing but pullable", img: "marketplace-sandbox:dev", present: []string{"marketplace-sandbox:dev"}},
		{name: "reaper image present", img: "marketplace-sandbox:dev", present: []string{"marketplace-sandbox:dev", reaperImage}, pullErr: offline},
		{name: "Ryuk disabled", img: "marketplace-sandbox:dev", present: []string{"marketplace-sandbox:dev"}, pullErr: offline, ryukDisabled: true},
		{name: "hub prefix: reaper name unknown, not checked", img: "marketplace-sandbox:dev", present: []string{"marketplace-sandbox:dev"}, pullErr: offline, hubPrefix: "mirror.example"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eng := &fakeEngine{present: map[string]bool{}, pullErr: c.pullErr}
			for _, img := range c.present {
				eng.present[img] = true
			}
			err := checkEngine(context.Background(), eng, c.img, c.ryukDisabled, c.hubPrefix)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("checkEngine: %v, want no error", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("checkEngine error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestTail(t *testing.T) {
	cases := []struct {
		name, in string
		n        int
		want     []string
	}{
		{"fewer lines than asked", "a\nb\n", 5, []string{"a", "b"}},
		{"the last ones are kept", "a\nb\nc\nd", 2, []string{"c", "d"}},
		{"nothing", "", 3, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := tail(strings.NewReader(c.in), c.n); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("tail = %q, want %q", got, c.want)
			}
		})
	}
}

// fakeSandbox is a clock and a token endpoint whose tokens expire on
// that clock.
type fakeSandbox struct {
	now     time.Time
	issued  int
	clockOK bool
}

func (f *fakeSandbox) Clock(context.Context) (ClockState, error) {
	if !f.clockOK {
		return ClockState{}, errors.New("GET /_sandbox/clock: 503 Service Unavailable")
	}
	return ClockState{Now: f.now}, nil
}

func (f *fakeSandbox) tokenWithLifetime(context.Context, Partner, string) (string, time.Duration, error) {
	f.issued++
	return fmt.Sprintf("token-%d", f.issued), 2 * time.Hour, nil
}

// TestClockBoundSource: the cached token is replaced when the sandbox
// clock, not the wall clock, reaches its expiry, and the source never
// hands out a token a wall-clock cache would keep.
func TestClockBoundSource(t *testing.T) {
	sb := &fakeSandbox{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), clockOK: true}
	src := &clockBoundSource{ctx: context.Background(), api: sb, partner: DefaultPartner, scope: ScopeRead}
	steps := []struct {
		name    string
		advance time.Duration
		want    string
	}{
		{"first call fetches", 0, "token-1"},
		{"within the lifetime the cache holds", time.Hour, "token-1"},
		{"inside the refresh margin a new one is fetched", time.Hour - 5*time.Second, "token-2"},
		{"past the lifetime a new one is fetched", 3 * time.Hour, "token-3"},
		{"days later too", 72 * time.Hour, "token-4"},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			sb.now = sb.now.Add(step.advance)
			tok, err := src.Token()
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != step.want {
				t.Errorf("token = %s, want %s", tok.AccessToken, step.want)
			}
			if tok.Valid() {
				t.Errorf("Expiry %v makes a wall-clock cache keep the token; it must consult the source again", tok.Expiry)
			}
		})
	}
	t.Run("an unreadable clock is an error, not a stale token", func(t *testing.T) {
		sb.clockOK = false
		if _, err := src.Token(); err == nil || !strings.Contains(err.Error(), "reading the sandbox clock") {
			t.Fatalf("Token() error = %v, want the clock's", err)
		}
	})
}
