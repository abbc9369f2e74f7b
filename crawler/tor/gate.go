package tor

import (
	"fmt"
	"net/http"
)

// BootstrapStatus is a tor whose bootstrap a Gate waits for, such as a
// managed tor (vigil/crawler/tor/torproc). Its methods may be called from
// several goroutines at once.
type BootstrapStatus interface {
	// Status returns the bootstrap progress, or an error saying why it is
	// not known.
	Status() (Bootstrap, error)
	// SOCKSAddr returns the host:port of the tor's SocksPort, named in the
	// Gate's refusals.
	SOCKSAddr() string
}

// Gate is the fail-closed bootstrap gate in front of a transport to a tor
// that is still starting. Until the tor's Status is Done, every request is
// refused with a *ProxyError saying "tor is still bootstrapping (NN%)", its
// body is closed and nothing is sent; from then on requests pass through to
// the next transport. It is safe for concurrent use.
type Gate struct {
	tor    BootstrapStatus
	next   http.RoundTripper
	onWait func(progress int, reason error)
}

var _ http.RoundTripper = (*Gate)(nil)

// NewGate returns a Gate in front of next that waits for t. onWait, if not
// nil, is called with the progress and the reason of every refusal.
func NewGate(t BootstrapStatus, next http.RoundTripper, onWait func(progress int, reason error)) *Gate {
	return &Gate{tor: t, next: next, onWait: onWait}
}

// RoundTrip refuses req while the tor has not bootstrapped, and otherwise
// sends it through the next transport.
func (g *Gate) RoundTrip(req *http.Request) (*http.Response, error) {
	b, err := g.tor.Status()
	if err != nil || !b.Done() {
		closeBody(req)
		reason := fmt.Errorf("tor is still bootstrapping (%d%%)", b.Progress)
		if err != nil {
			reason = fmt.Errorf("tor is still bootstrapping (%d%%): %w", b.Progress, err)
		}
		if g.onWait != nil {
			g.onWait(b.Progress, reason)
		}
		return nil, &ProxyError{Addr: g.tor.SOCKSAddr(), Err: reason}
	}
	return g.next.RoundTrip(req)
}

// CloseIdleConnections passes on to the next transport.
func (g *Gate) CloseIdleConnections() {
	if c, ok := g.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// refuse returns a transport that closes every request's body and fails it
// with a copy of pe, sending nothing.
func refuse(pe *ProxyError) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		closeBody(req)
		e := *pe
		return nil, &e
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
