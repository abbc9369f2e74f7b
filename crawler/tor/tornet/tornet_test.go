package tornet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/crawler/tor"
	"vigil/crawler/tor/tornet"
)

// TestNetworkServesOnionAndSurvivesOutage starts a private network with two
// onion services, fetches each through the client's SocksPort, checks that
// an unknown onion is a permanent 0xF0 refusal, stops one service (requests
// to it fail, the other keeps working), starts it again and fetches it once
// more.
func TestNetworkServesOnionAndSurvivesOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	handler := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello from %s at %s", name, r.URL.Path)
		})
	}
	t0 := time.Now()
	net, err := tornet.Start(ctx, tornet.Config{
		Dir:      t.TempDir(),
		Services: []tornet.Service{{Name: "alpha", Backend: handler("alpha")}, {Name: "beta", Backend: handler("beta")}},
		KeyCache: filepath.Join(os.TempDir(), "vigil-tornet-keys"),
		Logf:     t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	t.Logf("bootstrap took %v", time.Since(t0).Round(time.Millisecond))

	for _, name := range []string{"alpha", "beta"} {
		if o := net.Onion(name); !strings.HasSuffix(o, ".onion") || len(o) != 62 {
			t.Fatalf("Onion(%q) = %q, want a v3 onion address", name, o)
		}
	}
	if net.Onion("gamma") != "" {
		t.Fatalf("Onion of an unknown service is not empty")
	}

	rt, err := tor.NewTransport(tor.Config{SOCKSAddr: net.SOCKSAddr(), IsolationKey: "tornet-test", DialTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: rt, Timeout: 60 * time.Second}
	get := func(onion, path string) (string, error) {
		resp, err := client.Get("http://" + onion + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	for _, name := range []string{"alpha", "beta"} {
		body, err := get(net.Onion(name), "/x")
		if err != nil || body != "hello from "+name+" at /x" {
			t.Fatalf("GET %s: %q, %v", name, body, err)
		}
	}

	// A well-formed v3 address nobody published: 0xF0, permanent.
	_, err = get("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaad.onion", "/")
	var se *tor.SOCKSError
	if !errors.As(err, &se) || se.Code != tor.CodeOnionDescNotFound && se.Code != tor.CodeOnionInvalidAddress || !se.Permanent() {
		t.Fatalf("unknown onion: %v, want a permanent SOCKS error", err)
	}

	// Outage: beta goes away, alpha stays.
	if err := net.StopService("beta"); err != nil {
		t.Fatal(err)
	}
	out, err := tor.NewTransport(tor.Config{SOCKSAddr: net.SOCKSAddr(), IsolationKey: "after-outage", DialTimeout: 15 * time.Second, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	oc := &http.Client{Transport: out, Timeout: 30 * time.Second}
	if resp, err := oc.Get("http://" + net.Onion("beta") + "/"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET beta while it is stopped succeeded: %s", resp.Status)
	} else {
		t.Logf("beta while stopped: %v", err)
	}
	if body, err := get(net.Onion("alpha"), "/still"); err != nil || !strings.Contains(body, "alpha") {
		t.Fatalf("GET alpha during beta's outage: %q, %v", body, err)
	}
	t1 := time.Now()
	if err := net.StartService(ctx, "beta"); err != nil {
		t.Fatal(err)
	}
	t.Logf("beta back after %v", time.Since(t1).Round(time.Millisecond))
	back, err := tor.NewTransport(tor.Config{SOCKSAddr: net.SOCKSAddr(), IsolationKey: "after-restart"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: back, Timeout: 60 * time.Second}).Get("http://" + net.Onion("beta") + "/again")
	if err != nil {
		t.Fatalf("GET beta after restart: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello from beta at /again" {
		t.Fatalf("GET beta after restart: %q", b)
	}
}
