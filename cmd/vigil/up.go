package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"vigil"
	"vigil/activities"
	"vigil/audit"
	"vigil/crawler"
	"vigil/devserver"
	"vigil/extractors/contacts"
	"vigil/extractors/imagehash"
	"vigil/extractors/templates"
	"vigil/match"
	"vigil/store/crawlstate"
	"vigil/store/embedded"
	"vigil/watchlist"
	"vigil/web"
	"vigil/workflows"
)

// upConfig is the configuration of `vigil up`, read once from flags and the
// environment.
type upConfig struct {
	DataDir     string
	Listen      string
	TorSOCKS    string
	TorConfig   string // extra torrc lines for the managed tor (tests: a private network)
	Direct      bool
	Demo        bool
	DemoPages   int
	Concurrency int
	BatchSize   int
	Region      string
	Templates   string // directory of site templates (YAML/JSON); empty: none
	Temporal    string // TEMPORAL_ADDRESS: an external cluster instead of the embedded server
	Namespace   string
	Token       string // VIGIL_TOKEN
	TemporalUI  int
	// HeartbeatTimeout is how soon a crawl batch of a dead worker is
	// retried elsewhere (0: the workflow default).
	HeartbeatTimeout time.Duration
	// Politeness bounds each host's load (crawler.Politeness).
	Politeness crawler.Politeness
	Evidence   evidenceFlags
}

func newUpCmd() *cobra.Command {
	cfg := upConfig{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run everything on this machine: Temporal, a crawl worker, the index, the API and web page",
		Long: `up runs Vigil on one machine: the embedded Temporal server (or the cluster
named by TEMPORAL_ADDRESS), a crawl worker, the embedded index under --data,
and the API and web page on --listen. It prints its URLs and runs until
interrupted.

Crawls go through the Tor SOCKS proxy named by --tor-socks. Without it, up
starts a managed tor (tor from PATH, data under --data/tor); crawls wait until
it has bootstrapped. --demo starts a private Tor network on 127.0.0.1 instead
and crawls the demo forum and market as onion services. Lab mode (--direct)
reaches loopback sites only, without Tor, and is meant for tests.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Temporal = os.Getenv("TEMPORAL_ADDRESS")
			cfg.Namespace = envOr("TEMPORAL_NAMESPACE", "default")
			cfg.Token = os.Getenv("VIGIL_TOKEN")
			if cfg.Demo {
				// The demo's onion services are our own, on this machine.
				if !cmd.Flags().Changed("onion-concurrency") {
					cfg.Politeness.OnionConcurrency = 0
				}
				if !cmd.Flags().Changed("onion-delay") {
					cfg.Politeness.OnionDelay = 0
				}
			}
			return runUp(cmd.Context(), cfg, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data", "vigil-data", "directory for the index, captures, Temporal's database and the audit log")
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:8080", "address of the API and web page (non-loopback requires VIGIL_TOKEN)")
	f.StringVar(&cfg.TorSOCKS, "tor-socks", "", "host:port of a running Tor SOCKS proxy that every crawl request goes through")
	f.BoolVar(&cfg.Direct, "direct", false, "LAB MODE: crawl loopback sites directly, without Tor (tests and demos only)")
	f.BoolVar(&cfg.Demo, "demo", false, "start a private Tor network on 127.0.0.1, serve the demo forum and market as onion services and crawl them")
	f.StringVar(&cfg.TorConfig, "tor-config", "", "file of extra torrc lines for the managed tor (e.g. a private test network)")
	f.MarkHidden("tor-config")
	f.IntVar(&cfg.DemoPages, "demo-pages", 600, "approximate size of the demo site in pages")
	f.IntVar(&cfg.Concurrency, "concurrency", 8, "parallel requests per crawl batch")
	f.IntVar(&cfg.BatchSize, "batch-size", workflows.DefaultBatchSize, "pages per crawl batch activity")
	f.StringVar(&cfg.Templates, "templates", "", "directory of forum/market site templates (docs/templates.md); pages they match are checked for template drift")
	f.StringVar(&cfg.Region, "region", "US", "default country for phone numbers written without a country code")
	f.IntVar(&cfg.Politeness.OnionConcurrency, "onion-concurrency", 2, "requests in flight to one .onion host (0: no bound but --concurrency; --demo: 0 unless set)")
	f.DurationVar(&cfg.Politeness.OnionDelay, "onion-delay", time.Second, "least time between request starts on one .onion host (--demo: 0 unless set)")
	f.IntVar(&cfg.Politeness.HostConcurrency, "host-concurrency", 0, "requests in flight to one clearnet host (0: no bound but --concurrency)")
	f.DurationVar(&cfg.Politeness.HostDelay, "host-delay", 0, "least time between request starts on one clearnet host")
	f.DurationVar(&cfg.HeartbeatTimeout, "heartbeat-timeout", workflows.DefaultHeartbeatTimeout, "how soon a crawl batch whose worker died is retried (new crawls)")
	f.IntVar(&cfg.TemporalUI, "temporal-ui-port", 0, "port of the Temporal Web UI (0: any free port; -1: off)")
	cfg.Evidence.register(f)
	return cmd
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func runUp(ctx context.Context, cfg upConfig, out io.Writer) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tokens, err := web.OpenTokens(tokenPath(cfg.DataDir))
	if err != nil {
		return err
	}
	if err := web.CheckListen(cfg.Listen, cfg.Token != "" || tokens.Len() > 0); err != nil {
		return usageError{err}
	}
	loopback, _ := web.IsLoopback(cfg.Listen)
	if cfg.Direct && cfg.TorSOCKS != "" {
		return usagef("--direct and --tor-socks exclude each other")
	}
	if cfg.Demo && (cfg.Direct || cfg.TorSOCKS != "") {
		return usagef("--demo runs its own private Tor network: drop --direct and --tor-socks")
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}

	// Temporal: the embedded server unless a cluster is named.
	hostPort, uiURL := cfg.Temporal, ""
	if hostPort == "" {
		srv, err := devserver.Start(devserver.Config{DataDir: filepath.Join(dir, "temporal"), Namespace: cfg.Namespace, UIPort: cfg.TemporalUI})
		if err != nil {
			return fmt.Errorf("start the embedded Temporal server: %w", err)
		}
		defer srv.Stop()
		hostPort, uiURL = srv.FrontendAddress(), srv.UIURL()
	}
	tc, err := sdkclient.Dial(sdkclient.Options{
		HostPort:  hostPort,
		Namespace: cfg.Namespace,
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", hostPort, err)
	}
	defer tc.Close()

	// Stores.
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "index")})
	if err != nil {
		return fmt.Errorf("open the index: %w", err)
	}
	defer store.Close()
	state, err := crawlstate.Open(filepath.Join(dir, "crawlstate.db"))
	if err != nil {
		return err
	}
	defer state.Close()
	auditLog, err := audit.Open(filepath.Join(dir, "audit.log"))
	if err != nil {
		return err
	}
	defer auditLog.Close()
	watchlists, err := watchlist.Open(filepath.Join(dir, "watchlist.db"))
	if err != nil {
		return err
	}
	defer watchlists.Close()

	tn, err := startTor(ctx, cfg, dir, logger)
	if err != nil {
		return err
	}
	defer tn.Close()
	var siteTemplates *templates.Set
	if cfg.Templates != "" {
		if siteTemplates, err = templates.Load(cfg.Templates); err != nil {
			return usagef("--templates: %v", err)
		}
	}
	acts := &activities.Activities{
		Store:      store,
		Captures:   store,
		State:      state,
		Extractors: []vigil.Extractor{contacts.New(contacts.Config{Region: cfg.Region})},
		Hasher:     imagehash.New(imagehash.Config{}),
		Transport:  tn.transport,
		Crawler:    crawler.Config{Concurrency: cfg.Concurrency, FetchImages: true, Politeness: cfg.Politeness},
		Logger:     logger,
		Watchlist:  watchlists,
		Templates:  siteTemplates,
	}
	if archive, err := openEvidence(cfg.Evidence, dir, cfg.Direct); err != nil {
		return err
	} else if archive != nil {
		acts.Evidence = archive
	}
	for _, queue := range []string{workflows.TaskQueue, workflows.CrawlTaskQueue, workflows.ProcessTaskQueue} {
		w := worker.New(tc, queue, worker.Options{})
		w.RegisterWorkflowWithOptions(workflows.CrawlSite, workflow.RegisterOptions{Name: workflows.WorkflowCrawlSite})
		acts.Register(w)
		if err := w.Start(); err != nil {
			return fmt.Errorf("start the worker of task queue %s: %w", queue, err)
		}
		defer w.Stop()
	}

	crawls := &workflows.Service{Client: tc, BatchSize: cfg.BatchSize, HeartbeatTimeout: cfg.HeartbeatTimeout}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another vigil running? use --listen)", cfg.Listen, err)
	}
	api := &http.Server{
		Handler: web.New(web.Config{Store: store, Captures: store, Crawls: crawls, Audit: auditLog, Token: cfg.Token, Tokens: tokens, RequireToken: !loopback, Logger: logger,
			Matcher: &match.Matcher{Hasher: acts.Hasher, Index: store}, Watchlist: watchlists}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- api.Serve(ln) }()
	defer api.Close()

	fmt.Fprintln(out, "Vigil is up.")
	fmt.Fprintf(out, "  Web page and API: http://%s/\n", ln.Addr())
	if uiURL != "" {
		fmt.Fprintf(out, "  Temporal UI:      %s\n", uiURL)
	}
	fmt.Fprintf(out, "  Temporal:         %s (namespace %s)\n", hostPort, cfg.Namespace)
	fmt.Fprintf(out, "  Data:             %s\n", dir)

	if cfg.Demo {
		seeds, sites, err := tn.startDemo(ctx, dir, cfg.DemoPages, out)
		if err != nil {
			return err
		}
		st, err := crawls.StartCrawl(ctx, vigil.CrawlRequest{Seeds: seeds, MaxDepth: -1, MaxPages: cfg.DemoPages * 2, CaseID: "demo"})
		if err != nil {
			return fmt.Errorf("start the demo crawl: %w", err)
		}
		fmt.Fprintf(out, "  Demo forum:       %s\n", seeds[0])
		fmt.Fprintf(out, "  Demo market:      %s\n", seeds[1])
		fmt.Fprintf(out, "  Tor SOCKS:        %s (private network, %s)\n", tn.socks, tn.private.Dir())
		fmt.Fprintf(out, "  Demo crawl:       %s started (progress: http://%s/api/crawls/%s)\n", st.ID, ln.Addr(), st.ID)
		fmt.Fprintf(out, "Try: vigil search --server http://%s %q\n", ln.Addr(), sites[0].Signatures()[0].Value)
	}
	fmt.Fprintln(out, "Press Ctrl-C to stop.")

	select {
	case <-ctx.Done():
		logger.Info("shutting down")
		return nil
	case err := <-serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("API server: %w", err)
	}
}
