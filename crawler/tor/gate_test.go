package tor

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"vigil"
)

// fakeStatus is a tor whose bootstrap status the test sets.
type fakeStatus struct {
	mu       sync.Mutex
	progress int
	err      error
}

func (f *fakeStatus) set(progress int, err error) {
	f.mu.Lock()
	f.progress, f.err = progress, err
	f.mu.Unlock()
}

func (f *fakeStatus) Status() (Bootstrap, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Bootstrap{Progress: f.progress}, f.err
}

func (f *fakeStatus) SOCKSAddr() string { return "127.0.0.1:9" }

// countingTransport answers every request with 204 and counts them.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: req}, nil
}

// trackedBody is a request body that records whether it was closed.
type trackedBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackedBody) Close() error { b.closed.Store(true); return nil }

func postWithBody(t *testing.T) (*http.Request, *trackedBody) {
	t.Helper()
	body := &trackedBody{Reader: strings.NewReader("q=1")}
	req, err := http.NewRequest(http.MethodPost, "http://forum.onion/login", body)
	if err != nil {
		t.Fatal(err)
	}
	return req, body
}

// wantRefusal checks that err is the fail-closed refusal of a proxy at
// addr, saying want.
func wantRefusal(t *testing.T, err error, addr, want string) {
	t.Helper()
	var pe *ProxyError
	if !errors.As(err, &pe) || pe.Addr != addr {
		t.Fatalf("err = %v, want a *ProxyError for %s", err, addr)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to say %q", err, want)
	}
	if vigil.ErrorCode(err) != vigil.EUNAVAILABLE {
		t.Errorf("code = %q, want %q (the crawler stops the batch and it is retried)", vigil.ErrorCode(err), vigil.EUNAVAILABLE)
	}
}

func TestGateRefusesEveryRequestUntilBootstrappedThenPassesThrough(t *testing.T) {
	status := &fakeStatus{}
	next := &countingTransport{}
	var waits []int
	g := NewGate(status, next, func(progress int, reason error) { waits = append(waits, progress) })
	for _, tc := range []struct {
		name     string
		progress int
		err      error
		want     string
	}{
		{"a tor at 0% is refused", 0, nil, "tor is still bootstrapping (0%)"},
		{"a tor at 45% is refused", 45, nil, "tor is still bootstrapping (45%)"},
		{"a tor at 99% is refused", 99, nil, "tor is still bootstrapping (99%)"},
		{"a tor whose status is unknown is refused", 10, errors.New("control port closed"), "tor is still bootstrapping (10%): control port closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status.set(tc.progress, tc.err)
			req, body := postWithBody(t)
			resp, err := g.RoundTrip(req)
			if resp != nil {
				t.Errorf("response %v, want none", resp.Status)
			}
			wantRefusal(t, err, status.SOCKSAddr(), tc.want)
			if !body.closed.Load() {
				t.Error("request body not closed")
			}
			if n := next.n.Load(); n != 0 {
				t.Errorf("%d requests sent on, want 0", n)
			}
		})
	}
	if len(waits) != 4 || waits[1] != 45 {
		t.Errorf("onWait progress = %v, want one call per refusal", waits)
	}
	t.Run("a bootstrapped tor passes requests through", func(t *testing.T) {
		status.set(100, nil)
		req, _ := postWithBody(t)
		resp, err := g.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("RoundTrip = %v, %v; want the next transport's 204", resp, err)
		}
		if n := next.n.Load(); n != 1 {
			t.Errorf("%d requests sent on, want 1", n)
		}
	})
}

func TestRouterLogsAWaitingCrawlOncePerProgressFigure(t *testing.T) {
	status := &fakeStatus{}
	var logs bytes.Buffer
	r := NewRouter(RouterConfig{SOCKSAddr: status.SOCKSAddr(), Managed: status,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	try := func(crawlID string, progress int) {
		t.Helper()
		status.set(progress, nil)
		rt, err := r.Transport(crawlID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = get(t, rt, "http://forum.onion/")
		wantRefusal(t, err, status.SOCKSAddr(), "tor is still bootstrapping")
	}
	for _, p := range []int{10, 10, 10, 45, 45, 10} {
		try("crawl-a", p)
	}
	try("crawl-b", 10)
	var got []string
	for line := range strings.Lines(logs.String()) {
		if !strings.Contains(line, "crawl waits for tor; the batch is retried") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "crawl=") {
				got = append(got, f)
			}
		}
	}
	want := []string{"crawl=crawl-a", "crawl=crawl-a", "crawl=crawl-a", "crawl=crawl-b"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("waiting logged for %v, want %v (10%%, 45%%, 10%% again; the other crawl once):\n%s", got, want, logs.String())
	}
	if !strings.Contains(logs.String(), "bootstrapping (45%)") {
		t.Errorf("the log does not give the progress:\n%s", logs.String())
	}
}

func TestRouterRefusesWhileTheNetworkIsStartingThenUsesTheProxy(t *testing.T) {
	backend, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "onion page")
	}))
	proxy := newFakeSOCKS(t)
	starting := &ProxyError{Addr: "private network", Err: errors.New("the demo's private Tor network is still starting")}
	r := NewRouter(RouterConfig{Starting: starting, Logger: slog.New(slog.DiscardHandler)})
	url := "http://forum.onion:" + port(t, backend) + "/"

	rt, err := r.Transport("crawl-1")
	if err != nil {
		t.Fatal(err)
	}
	req, body := postWithBody(t)
	_, err = rt.RoundTrip(req)
	wantRefusal(t, err, "private network", "the demo's private Tor network is still starting")
	var pe *ProxyError
	if errors.As(err, &pe) && pe == starting {
		t.Error("the refusal is the configured *ProxyError itself, want a copy")
	}
	if !body.closed.Load() {
		t.Error("request body not closed")
	}
	if n, recs := conns.Load(), proxy.Records(); n != 0 || len(recs) != 0 {
		t.Fatalf("%d connections to the site and %d CONNECTs while starting, want none", n, len(recs))
	}

	r.SetSOCKS(proxy.Addr())
	rt, err = r.Transport("crawl-1")
	if err != nil {
		t.Fatal(err)
	}
	page, err := get(t, rt, url)
	if err != nil || page != "onion page" {
		t.Fatalf("GET through the proxy = %q, %v", page, err)
	}
	if recs := proxy.Records(); len(recs) != 1 || recs[0].Username != "crawl-1/forum.onion:"+port(t, backend) {
		t.Errorf("CONNECTs = %+v, want one isolated by the crawl ID", recs)
	}
}

func TestRouterWithoutAProxyOrDirectModeMakesNoTransport(t *testing.T) {
	r := NewRouter(RouterConfig{})
	if _, err := r.Transport("crawl-1"); err == nil || !strings.Contains(err.Error(), "--tor-socks") {
		t.Fatalf("err = %v, want the no-proxy message", err)
	}
}
