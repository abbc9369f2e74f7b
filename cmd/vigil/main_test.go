package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"vigil"
	"vigil/evidence"
	"vigil/store/embedded"
	"vigil/workflows"
)

// testConfig is the configuration of `vigil up --direct` on a new data
// directory, with the API on a free loopback port and no Temporal UI.
func testConfig(t *testing.T) config {
	t.Helper()
	t.Setenv("VIGIL_TOKEN", "")
	return config{
		Roles:            roles{Workflow: true, Crawl: true, Process: true, API: true},
		EmbeddedTemporal: true,
		DataDir:          t.TempDir(),
		Listen:           "127.0.0.1:0",
		Direct:           true,
		Concurrency:      2,
		BatchSize:        workflows.DefaultBatchSize,
		HeartbeatTimeout: workflows.DefaultHeartbeatTimeout,
		Region:           "US",
		Namespace:        "default",
		TemporalUI:       -1,
		Evidence:         evidenceFlags{MaxFileBytes: evidence.DefaultMaxFileBytes},
	}
}

// newTestMain returns the Main of cfg, logging nowhere.
func newTestMain(cfg config, out io.Writer) *Main {
	m := NewMain(cfg, out, "Vigil test is up.")
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return m
}

// TestMainServesCrawlsAndClosesCleanly boots the whole program in-process
// (embedded Temporal, lab mode, embedded index), crawls a loopback site
// through its API with the CLI, and checks that Close stops everything:
// the port and the index are free again.
func TestMainServesCrawlsAndClosesCleanly(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><title>page %s</title><body>zebracorn market %s <a href="/2">next</a></body></html>`, r.URL.Path, r.URL.Path)
	}))
	defer site.Close()
	cfg := testConfig(t)
	var banner bytes.Buffer
	m := newTestMain(cfg, &banner)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Open(ctx); err != nil {
		m.Close()
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- m.Run(ctx) }()
	addr := m.ln.Addr().String()
	if !strings.Contains(banner.String(), "Vigil test is up.") || !strings.Contains(banner.String(), "Web page and API: http://"+addr+"/") {
		t.Errorf("banner:\n%s", banner.String())
	}

	resp, err := http.Get(m.URL() + "api/crawls")
	if err != nil {
		t.Fatal(err)
	}
	var list []vigil.CrawlStatus
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || len(list) != 0 {
		t.Fatalf("GET /api/crawls: %s, %d crawls (%v); want 200 and none", resp.Status, len(list), err)
	}

	cliCtx, stop := context.WithTimeout(ctx, 3*time.Minute)
	defer stop()
	if out, err := runCLIContext(cliCtx, "crawl", "--server", m.URL(), "--case", "case-1", "--wait", site.URL+"/"); err != nil {
		t.Fatalf("crawl: %v\n%s", err, out)
	}
	out, err := runCLIContext(cliCtx, "search", "--server", m.URL(), "zebracorn")
	if err != nil || !strings.Contains(out, "2 pages match") || !strings.Contains(out, site.URL+"/2") {
		t.Fatalf("search after the crawl: %v\n%s", err, out)
	}

	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run after the context ended: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	assertReleased(t, addr, cfg.DataDir)
}

// TestMainOpenFailureIsUndoneByClose: when Open fails half-way (the API's
// port is taken), Close stops what it had started.
func TestMainOpenFailureIsUndoneByClose(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := testConfig(t)
	cfg.Listen = busy.Addr().String()
	m := newTestMain(cfg, io.Discard)
	err = m.Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen on "+cfg.Listen) {
		t.Errorf("Open on a busy port: %v; want the listen error", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	busy.Close()
	assertReleased(t, cfg.Listen, cfg.DataDir)
	if err := m.Close(); err != nil {
		t.Errorf("a second Close: %v; want nothing to do", err)
	}
}

// assertReleased checks that addr can be listened on and that the embedded
// index under dataDir can be opened: no part of a closed Main holds them.
func assertReleased(t *testing.T, addr, dataDir string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("the API's address %s after Close: %v; want it free", addr, err)
	} else {
		ln.Close()
	}
	idx, err := embedded.Open(embedded.Config{Dir: filepath.Join(dataDir, "index")})
	if err != nil {
		t.Fatalf("the index after Close: %v; want it free", err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + addr + "/api/crawls"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET /api/crawls after Close: %v; want the connection refused", err)
	}
}
