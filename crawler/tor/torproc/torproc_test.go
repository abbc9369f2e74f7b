package torproc_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vigil/crawler/tor"
	"vigil/crawler/tor/tornet"
	"vigil/crawler/tor/torproc"
)

// TestManagedTorBootstrapsOnPrivateNetwork starts a managed tor that joins a
// private Tor network on 127.0.0.1 (never the public one), waits for it to
// bootstrap, fetches an onion service through its SocksPort, checks that it
// refuses internal addresses (refusesInternalAddresses), and checks that
// Close stops the process.
func TestManagedTorBootstrapsOnPrivateNetwork(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	net, err := tornet.Start(ctx, tornet.Config{
		Dir: t.TempDir(),
		Services: []tornet.Service{{Name: "site", Backend: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "managed tor reached the onion")
		})}},
		KeyCache: filepath.Join(os.TempDir(), "vigil-tornet-keys"),
		Logf:     t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()

	t0 := time.Now()
	dir := filepath.Join(t.TempDir(), "tor")
	mt, err := torproc.Start(ctx, torproc.Config{DataDir: dir, Torrc: net.ClientTorrc(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), PollInterval: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer mt.Close()
	if !strings.HasPrefix(mt.SOCKSAddr(), "127.0.0.1:") || !strings.HasPrefix(mt.ControlAddr(), "127.0.0.1:") {
		t.Fatalf("ports: socks %q control %q, want 127.0.0.1", mt.SOCKSAddr(), mt.ControlAddr())
	}
	if err := mt.WaitBootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("managed tor bootstrapped on the private network in %v", time.Since(t0).Round(time.Millisecond))
	if b, err := mt.Status(); err != nil || b.Progress != 100 || b.Tag != "done" {
		t.Fatalf("Status() = %+v, %v; want 100%% done", b, err)
	}

	rt, err := tor.NewTransport(tor.Config{SOCKSAddr: mt.SOCKSAddr(), IsolationKey: "torproc-test"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rt, Timeout: 60 * time.Second}).Get("http://" + net.Onion("site") + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "managed tor reached the onion" {
		t.Fatalf("body %q", body)
	}
	refusesInternalAddresses(t, mt, dir)

	mt.Close()
	if mt.Running() {
		t.Fatal("tor still running after Close")
	}
	if err := tor.CheckProxy(ctx, mt.SOCKSAddr()); err == nil {
		t.Fatal("SocksPort still answers after Close")
	}
}

// TestManagedTorReportsProgressWhileStuck points a managed tor at a
// directory authority on 127.0.0.1 where nothing listens, the situation of a
// machine without Internet: tor starts, its SocksPort answers, it reports a
// bootstrap progress below 100 % and WaitBootstrap gives up with that
// figure.
func TestManagedTorReportsProgressWhileStuck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mt, err := torproc.Start(ctx, torproc.Config{
		DataDir: filepath.Join(t.TempDir(), "tor"),
		Torrc: []string{"TestingTorNetwork 1",
			"DirAuthority nowhere orport=1 v3ident=0000000000000000000000000000000000000000 127.0.0.1:1 0000000000000000000000000000000000000000"},
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		PollInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mt.Close()
	if err := tor.CheckProxy(ctx, mt.SOCKSAddr()); err != nil {
		t.Fatalf("SocksPort does not answer: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := mt.Status()
		if err == nil && b.Tag != "" {
			if b.Done() {
				t.Fatalf("bootstrapped without any network: %+v", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no bootstrap status within 30s: %+v, %v", b, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	wctx, wcancel := context.WithTimeout(ctx, time.Second)
	defer wcancel()
	if err := mt.WaitBootstrap(wctx); err == nil || !strings.Contains(err.Error(), "%") {
		t.Fatalf("WaitBootstrap = %v; want a deadline error quoting the progress", err)
	}
}

// refusesInternalAddresses asks the managed tor mt (data directory dir) for a page of a canary
// listening on 127.0.0.1, by IP and as "localhost": the private network's
// client defaults (TestingTorNetwork) would let tor try, so only the
// explicit ClientRejectInternalAddresses of the managed tor's torrc stops
// it. The canary must see no connection, and tor must say it refused.
func refusesInternalAddresses(t *testing.T, mt *torproc.Tor, dir string) {
	t.Helper()
	canary, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer canary.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := canary.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	rt, err := tor.NewTransport(tor.Config{SOCKSAddr: mt.SOCKSAddr(), IsolationKey: "torproc-internal"})
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(canary.Addr().String())
	client := &http.Client{Transport: rt, Timeout: 90 * time.Second}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if resp, err := client.Get("http://" + host + ":" + port + "/"); err == nil {
			resp.Body.Close()
			t.Errorf("tor reached %s:%s (status %s)", host, port, resp.Status)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the canary on 127.0.0.1 saw %d connections through tor", n)
	}
	torrc, _ := os.ReadFile(filepath.Join(dir, "torrc"))
	if !strings.Contains(string(torrc), "\nClientRejectInternalAddresses 1\n") {
		t.Errorf("the managed tor's torrc does not set ClientRejectInternalAddresses 1:\n%s", torrc)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "notice.log"))
	if !strings.Contains(string(log), "Rejecting SOCKS request for anonymous connection to private address") {
		t.Errorf("tor's log does not say it refused the private address:\n%s", log)
	}
}
