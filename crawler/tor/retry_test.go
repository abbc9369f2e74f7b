package tor

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// retryLog records OnRetry calls.
type retryLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *retryLog) onRetry(target string, attempt int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, target+"#"+string(rune('0'+attempt)))
}

func (l *retryLog) Calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

func TestATransientSOCKSFailureIsRetriedOnAFreshCircuit(t *testing.T) {
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("back")) }))
	proxy := newFakeSOCKS(t)
	target := "down.onion:" + port(t, srv)
	proxy.byUser["crawl-1/"+target] = CodeOnionIntroFailed // only the first circuit fails
	var log retryLog
	rt, err := NewTransport(Config{SOCKSAddr: proxy.Addr(), IsolationKey: "crawl-1", RetryBackoff: 10 * time.Millisecond, OnRetry: log.onRetry})
	if err != nil {
		t.Fatal(err)
	}
	body, err := get(t, rt, "http://"+target+"/")
	if err != nil || body != "back" {
		t.Fatalf("GET after a retry = %q, %v", body, err)
	}
	recs := proxy.Records()
	if len(recs) != 2 {
		t.Fatalf("%d CONNECTs, want 2: %+v", len(recs), recs)
	}
	if recs[0].Username != "crawl-1/"+target || !strings.HasPrefix(recs[1].Username, recs[0].Username+"/") {
		t.Fatalf("usernames %q then %q; want the site's, then a fresh one derived from it", recs[0].Username, recs[1].Username)
	}
	if got := log.Calls(); len(got) != 1 || got[0] != target+"#2" {
		t.Fatalf("OnRetry calls %v, want one for attempt 2", got)
	}
}

func TestRetriesGiveUpWithTheLastSOCKSError(t *testing.T) {
	proxy := newFakeSOCKS(t)
	proxy.replies["flaky.onion"] = CodeGeneralFailure
	var log retryLog
	rt, err := NewTransport(Config{SOCKSAddr: proxy.Addr(), Retries: 2, RetryBackoff: time.Millisecond, OnRetry: log.onRetry})
	if err != nil {
		t.Fatal(err)
	}
	_, err = get(t, rt, "http://flaky.onion/")
	var se *SOCKSError
	if !errors.As(err, &se) || se.Code != CodeGeneralFailure {
		t.Fatalf("err = %v, want SOCKS 0x01", err)
	}
	if n := len(proxy.Records()); n != 3 {
		t.Fatalf("%d CONNECTs, want 3 (1 + 2 retries)", n)
	}
	users := map[string]bool{}
	for _, r := range proxy.Records() {
		users[r.Username] = true
	}
	if len(users) != 3 {
		t.Fatalf("usernames %v; want a fresh one per attempt", users)
	}
	if len(log.Calls()) != 2 {
		t.Fatalf("OnRetry calls %v, want 2", log.Calls())
	}
}

func TestPermanentFailuresAndAProxyDownAreNotRetried(t *testing.T) {
	proxy := newFakeSOCKS(t)
	proxy.replies["missing.onion"] = CodeOnionDescNotFound
	proxy.replies["bad.onion"] = CodeOnionInvalidAddress
	var log retryLog
	rt, err := NewTransport(Config{SOCKSAddr: proxy.Addr(), RetryBackoff: time.Millisecond, OnRetry: log.onRetry})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"missing.onion", "bad.onion"} {
		if _, err := get(t, rt, "http://"+host+"/"); err == nil {
			t.Fatalf("GET %s succeeded", host)
		}
	}
	if n := len(proxy.Records()); n != 2 {
		t.Fatalf("%d CONNECTs for two permanent failures, want 2", n)
	}

	addr := proxy.Addr()
	proxy.ln.Close()
	down, err := NewTransport(Config{SOCKSAddr: addr, RetryBackoff: time.Millisecond, OnRetry: log.onRetry})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, down, "http://site.onion/"); !IsProxyDown(err) {
		t.Fatalf("err = %v, want proxy down", err)
	}
	if got := log.Calls(); len(got) != 0 {
		t.Fatalf("OnRetry calls %v, want none", got)
	}
}

func TestTransientClassifiesErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"descriptor not found", &SOCKSError{Code: CodeOnionDescNotFound}, false},
		{"invalid address", &SOCKSError{Code: CodeOnionInvalidAddress}, false},
		{"introduction failed", &SOCKSError{Code: CodeOnionIntroFailed}, true},
		{"general failure", &SOCKSError{Code: CodeGeneralFailure}, true},
		{"proxy down", &ProxyError{Addr: "127.0.0.1:1", Err: errors.New("refused")}, false},
		{"bad address", &addressError{errors.New("bad port")}, false},
		{"timeout", errors.New("socks dial x: context deadline exceeded"), true},
	}
	for _, tt := range tests {
		if got := Transient(tt.err); got != tt.want {
			t.Errorf("Transient(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
