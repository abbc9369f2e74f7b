package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"vigil"
	"vigil/activities"
	"vigil/cases"
	"vigil/cases/audit"
	"vigil/crawler"
	"vigil/evidence"
	"vigil/extractors/contacts"
	"vigil/extractors/imagehash"
	"vigil/extractors/templates"
	"vigil/photo/match"
	"vigil/photo/watchlist"
	"vigil/store/capturefs"
	"vigil/store/crawlstate"
	"vigil/store/elastic"
	"vigil/store/embedded"
	"vigil/web"
	"vigil/workflows"
	"vigil/workflows/crawlclient"
	"vigil/workflows/devserver"
)

// roles are the parts of Vigil one process runs. `vigil up` runs them all;
// `vigil worker` and `vigil serve` run subsets against a shared Temporal
// cluster, index and data volume (deploy/SCALING.md).
type roles struct {
	// Workflow polls workflows.TaskQueue for CrawlSite workflow tasks.
	Workflow bool
	// Crawl runs StartCrawl and CrawlBatch (fetching through Tor) from
	// workflows.CrawlTaskQueue.
	Crawl bool
	// Process runs IndexBatch (extraction, indexing, watchlist checks) from
	// workflows.ProcessTaskQueue.
	Process bool
	// API serves the API and web page and starts crawls.
	API bool
}

func (r roles) String() string {
	var names []string
	for _, p := range []struct {
		on   bool
		name string
	}{{r.Workflow, "workflow"}, {r.Crawl, "crawl"}, {r.Process, "process"}, {r.API, "api"}} {
		if p.on {
			names = append(names, p.name)
		}
	}
	return strings.Join(names, ",")
}

// config is the configuration of `vigil up`, `vigil worker` and `vigil
// serve`, read once from flags and the environment; run wires a process from
// it.
type config struct {
	Roles roles
	// Shared opens the crawl state and the watchlists for each transaction
	// instead of holding them, so other processes on the same data volume
	// can use them (worker and serve; up owns everything).
	Shared bool
	// EmbeddedTemporal starts the embedded Temporal server when
	// TEMPORAL_ADDRESS is unset (up); worker and serve require an address.
	EmbeddedTemporal bool

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
	// Elastic is the Elasticsearch index (ELASTICSEARCH_URL and friends);
	// without URLs the index is the embedded one under DataDir/index.
	Elastic elastic.Config
	// HeartbeatTimeout is how soon a crawl batch of a dead worker is
	// retried elsewhere (0: the workflow default).
	HeartbeatTimeout time.Duration
	// Politeness bounds each host's load (crawler.Politeness).
	Politeness crawler.Politeness
	Evidence   evidenceFlags
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Flag groups: each command registers the groups of the roles it can run.

func (c *config) registerData(f *pflag.FlagSet) {
	f.StringVar(&c.DataDir, "data", "vigil-data", "data directory: index (embedded), captures, crawl state, audit log, tokens (env VIGIL_DATA)")
}

func (c *config) registerCrawl(f *pflag.FlagSet) {
	f.StringVar(&c.TorSOCKS, "tor-socks", "", "host:port of a running Tor SOCKS proxy that every crawl request goes through (env VIGIL_TOR_SOCKS)")
	f.BoolVar(&c.Direct, "direct", false, "LAB MODE: crawl loopback sites directly, without Tor (tests and demos only)")
	f.StringVar(&c.TorConfig, "tor-config", "", "file of extra torrc lines for the managed tor (e.g. a private test network)")
	f.MarkHidden("tor-config")
	f.IntVar(&c.Concurrency, "concurrency", 8, "parallel requests per crawl batch (env VIGIL_CRAWL_CONCURRENCY)")
	f.StringVar(&c.Templates, "templates", "", "directory of forum/market site templates (docs/templates.md); pages they match are checked for template drift")
	f.IntVar(&c.Politeness.OnionConcurrency, "onion-concurrency", 2, "requests in flight to one .onion host (0: no bound but --concurrency; --demo: 0 unless set)")
	f.DurationVar(&c.Politeness.OnionDelay, "onion-delay", time.Second, "least time between request starts on one .onion host (--demo: 0 unless set)")
	f.IntVar(&c.Politeness.HostConcurrency, "host-concurrency", 0, "requests in flight to one clearnet host (0: no bound but --concurrency)")
	f.DurationVar(&c.Politeness.HostDelay, "host-delay", 0, "least time between request starts on one clearnet host")
	c.Evidence.register(f)
}

func (c *config) registerProcess(f *pflag.FlagSet) {
	f.StringVar(&c.Region, "region", "US", "default country for phone numbers written without a country code")
}

func (c *config) registerAPI(f *pflag.FlagSet) {
	f.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "address of the API and web page (non-loopback requires VIGIL_TOKEN)")
	f.IntVar(&c.BatchSize, "batch-size", workflows.DefaultBatchSize, "pages per crawl batch activity (crawls started here)")
	f.DurationVar(&c.HeartbeatTimeout, "heartbeat-timeout", workflows.DefaultHeartbeatTimeout, "how soon a crawl batch whose worker died is retried (new crawls)")
}

// readEnv fills what the environment configures: Temporal, the token, the
// index, and the defaults of flags the command line did not set. Bad values
// are usage errors; no value is echoed that could hold a credential.
func (c *config) readEnv(cmd *cobra.Command) error {
	c.Temporal = os.Getenv("TEMPORAL_ADDRESS")
	c.Namespace = envOr("TEMPORAL_NAMESPACE", "default")
	c.Token = os.Getenv("VIGIL_TOKEN")
	f := cmd.Flags()
	unset := func(name string) bool { return f.Lookup(name) != nil && !f.Changed(name) }
	if v := os.Getenv("VIGIL_DATA"); v != "" && unset("data") {
		c.DataDir = v
	}
	if v := os.Getenv("VIGIL_TOR_SOCKS"); v != "" && unset("tor-socks") {
		c.TorSOCKS = v
	}
	if v := os.Getenv("VIGIL_CRAWL_CONCURRENCY"); v != "" && unset("concurrency") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return usagef("VIGIL_CRAWL_CONCURRENCY=%q is not a positive number", v)
		}
		c.Concurrency = n
	}
	es, err := elasticFromEnv()
	if err != nil {
		return usageError{err}
	}
	c.Elastic = es
	return nil
}

// elasticFromEnv reads the Elasticsearch settings of deploy/CONFIG.md.
// Without ELASTICSEARCH_URL the result has no URLs (the embedded index).
func elasticFromEnv() (elastic.Config, error) {
	var cfg elastic.Config
	raw := os.Getenv("ELASTICSEARCH_URL")
	if raw == "" {
		return cfg, nil
	}
	for _, s := range strings.Split(raw, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The value is not echoed: a malformed URL may hold a password.
			return cfg, errors.New("ELASTICSEARCH_URL holds a value that is not an http(s) URL with a host")
		}
		if u.User != nil {
			return cfg, errors.New("ELASTICSEARCH_URL holds credentials: put them in ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD (or ELASTICSEARCH_API_KEY) so they stay out of logs")
		}
		cfg.URLs = append(cfg.URLs, s)
	}
	if len(cfg.URLs) == 0 {
		return cfg, errors.New("ELASTICSEARCH_URL names no URL")
	}
	cfg.Username = os.Getenv("ELASTICSEARCH_USERNAME")
	cfg.Password = os.Getenv("ELASTICSEARCH_PASSWORD")
	cfg.APIKey = os.Getenv("ELASTICSEARCH_API_KEY")
	cfg.IndexPrefix = os.Getenv("VIGIL_INDEX_PREFIX")
	for _, v := range []struct {
		name string
		dst  *int
	}{{"VIGIL_ES_SHARDS", &cfg.Shards}, {"VIGIL_ES_REPLICAS", &cfg.Replicas}} {
		s := os.Getenv(v.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return cfg, fmt.Errorf("%s=%q is not a number of at least 0", v.name, s)
		}
		*v.dst = n
	}
	return cfg, nil
}

// Paths under the data directory, shared by every role.
func captureDir(dataDir string) string { return filepath.Join(dataDir, "index", "captures") }
func crawlStatePath(dataDir string) string {
	return filepath.Join(dataDir, "crawlstate.db")
}
func watchlistPath(dataDir string) string { return filepath.Join(dataDir, "watchlist.db") }

// errEmbeddedProcess is why a processing worker cannot use the embedded
// index.
var errEmbeddedProcess = errors.New("the processing role writes the index, and the embedded index (DATA/index) belongs to one process: " +
	"set ELASTICSEARCH_URL to share an Elasticsearch index between processes, or run processing inside `vigil serve` (it does so with the embedded index) and start workers with --role crawl")

// runRoles wires one process from cfg: Temporal, the stores its roles need, the
// Temporal workers of its roles and the API. It prints what it started to
// out and runs until ctx is done.
func runRoles(ctx context.Context, cfg config, out io.Writer, banner string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	r := cfg.Roles
	if cfg.Temporal == "" && !cfg.EmbeddedTemporal {
		return usagef("TEMPORAL_ADDRESS is not set: workers and the API of a split deployment share a Temporal cluster (host:port); `vigil up` runs an embedded one")
	}
	var (
		tokens   *web.Tokens
		loopback bool
		err      error
	)
	if r.API {
		if tokens, err = web.OpenTokens(tokenPath(cfg.DataDir)); err != nil {
			return err
		}
		if err := web.CheckListen(cfg.Listen, cfg.Token != "" || tokens.Len() > 0); err != nil {
			return usageError{err}
		}
		loopback, _ = web.IsLoopback(cfg.Listen)
	}
	if cfg.Direct && cfg.TorSOCKS != "" {
		return usagef("--direct and --tor-socks exclude each other")
	}
	if cfg.Demo && (cfg.Direct || cfg.TorSOCKS != "") {
		return usagef("--demo runs its own private Tor network: drop --direct and --tor-socks")
	}
	useElastic := len(cfg.Elastic.URLs) > 0
	if r.Process && !r.API && cfg.Shared && !useElastic {
		return usageError{errEmbeddedProcess}
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}

	// The index: the processing role writes it, the API reads it.
	var (
		store    vigil.Store
		captures vigil.CaptureStore
		index    string
	)
	if r.Process || r.API {
		if useElastic {
			es, err := elastic.Open(ctx, cfg.Elastic)
			if err != nil {
				return fmt.Errorf("open the Elasticsearch index: %w", err)
			}
			defer es.Close()
			store, index = es, "Elasticsearch "+strings.Join(cfg.Elastic.URLs, ",")
		} else {
			emb, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "index")})
			if err != nil {
				return fmt.Errorf("open the index: %w (another vigil up or serve may own it: the embedded index belongs to one process)", err)
			}
			defer emb.Close()
			store, captures, index = emb, emb, "embedded "+filepath.Join(dir, "index")
		}
	}

	// Temporal: the embedded server (up) unless a cluster is named.
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

	// Raw captures: the crawl role writes them, the API serves them. The
	// embedded store keeps them beside its index; without it the same
	// directory is used as a plain capture store.
	if captures == nil && (r.Crawl || r.API) {
		fs, err := capturefs.Open(captureDir(dir))
		if err != nil {
			return err
		}
		captures = fs
	}

	var state *crawlstate.DB
	if r.Crawl || r.Process {
		if cfg.Shared {
			state, err = crawlstate.OpenShared(crawlStatePath(dir))
		} else {
			state, err = crawlstate.Open(crawlStatePath(dir))
		}
		if err != nil {
			return err
		}
		defer state.Close()
	}
	var auditLog *audit.Log
	if r.API {
		if auditLog, err = audit.Open(filepath.Join(dir, "audit.log")); err != nil {
			return err
		}
		defer auditLog.Close()
	}
	var lists watchlists
	if r.Process || r.API {
		if cfg.Shared {
			lists = &sharedWatchlists{path: watchlistPath(dir)}
		} else {
			db, err := watchlist.Open(watchlistPath(dir))
			if err != nil {
				return err
			}
			defer db.Close()
			lists = db
		}
	}

	hasher := imagehash.New(imagehash.Config{})
	acts := &activities.Activities{
		Store:      store,
		Captures:   captures,
		State:      state,
		Extractors: []vigil.Extractor{contacts.New(contacts.Config{Region: cfg.Region})},
		Hasher:     hasher,
		Logger:     logger,
	}
	if lists != nil {
		acts.Watchlist = lists
	}
	var tn *torNet
	if r.Crawl || cfg.Demo {
		if tn, err = startTor(ctx, cfg, dir, logger); err != nil {
			return err
		}
		defer tn.Close()
		acts.Transport = tn.transport
		acts.Crawler = crawler.Config{Concurrency: cfg.Concurrency, FetchImages: true, Politeness: cfg.Politeness}
		if cfg.Templates != "" {
			if acts.Templates, err = templates.Load(cfg.Templates); err != nil {
				return usagef("--templates: %v", err)
			}
		}
		archive, err := openEvidenceShared(cfg.Evidence, dir, cfg.Direct)
		if err != nil {
			return err
		}
		if archive != nil {
			acts.Evidence = archive
		}
	}

	host, _ := os.Hostname()
	identity := fmt.Sprintf("%d@%s@vigil-%s", os.Getpid(), host, r)
	queues := map[string]func(worker.Worker){}
	if r.Workflow {
		queues[workflows.TaskQueue] = func(w worker.Worker) {
			w.RegisterWorkflowWithOptions(workflows.CrawlSite, workflow.RegisterOptions{Name: workflows.WorkflowCrawlSite})
			if r.Crawl && r.Process {
				// Crawls started before the queues were split still
				// schedule their activities here.
				acts.Register(w)
			}
		}
	}
	if r.Crawl {
		queues[workflows.CrawlTaskQueue] = func(w worker.Worker) {
			acts.RegisterCrawl(w)
		}
	}
	if r.Process {
		queues[workflows.ProcessTaskQueue] = func(w worker.Worker) {
			acts.RegisterProcess(w)
		}
	}
	for _, q := range []string{workflows.TaskQueue, workflows.CrawlTaskQueue, workflows.ProcessTaskQueue} {
		register, ok := queues[q]
		if !ok {
			continue
		}
		w := worker.New(tc, q, worker.Options{Identity: identity})
		register(w)
		if err := w.Start(); err != nil {
			return fmt.Errorf("start the worker of task queue %s: %w", q, err)
		}
		defer w.Stop()
	}

	var (
		crawls   *crawlclient.Service
		caseMgr  *cases.Manager
		serveErr = make(chan error, 1)
		ln       net.Listener
	)
	if r.API {
		crawls = &crawlclient.Service{Client: tc, BatchSize: cfg.BatchSize, HeartbeatTimeout: cfg.HeartbeatTimeout}
		var stopSweeper func()
		if caseMgr, stopSweeper, err = startCases(ctx, dir, cfg.Demo, cfg.Shared, crawls, state, store, lists, auditLog, logger); err != nil {
			return err
		}
		defer stopSweeper()
		ln, err = net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w (is another vigil running? use --listen)", cfg.Listen, err)
		}
		wcfg := web.Config{Store: store, Captures: captures, Crawls: caseMgr.Guard(), Cases: caseMgr, Audit: auditLog, Token: cfg.Token, Tokens: tokens, RequireToken: !loopback, Logger: logger,
			Matcher: &match.Matcher{Hasher: hasher, Index: store}}
		if lists != nil {
			wcfg.Watchlist = lists
		}
		api := &http.Server{Handler: web.New(wcfg), ReadHeaderTimeout: 10 * time.Second}
		go func() { serveErr <- api.Serve(ln) }()
		defer api.Close()
	}

	fmt.Fprintln(out, banner)
	if ln != nil {
		fmt.Fprintf(out, "  Web page and API: http://%s/\n", ln.Addr())
	}
	if uiURL != "" {
		fmt.Fprintf(out, "  Temporal UI:      %s\n", uiURL)
	}
	fmt.Fprintf(out, "  Temporal:         %s (namespace %s)\n", hostPort, cfg.Namespace)
	fmt.Fprintf(out, "  Roles:            %s (worker identity %s)\n", r, identity)
	if index != "" {
		fmt.Fprintf(out, "  Index:            %s\n", index)
	}
	fmt.Fprintf(out, "  Data:             %s\n", dir)

	if cfg.Demo {
		seeds, sites, err := tn.startDemo(ctx, dir, cfg.DemoPages, out)
		if err != nil {
			return err
		}
		st, err := caseMgr.Guard().StartCrawl(ctx, vigil.CrawlRequest{Seeds: seeds, MaxDepth: -1, MaxPages: cfg.DemoPages * 2, CaseID: "demo"})
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

// openEvidenceShared is openEvidence for workers that may start together on
// one volume: the first creates the signing key, and a worker that loses
// that race (the key file exists, or is not fully written yet) reads the
// winner's key on a later try.
func openEvidenceShared(e evidenceFlags, dataDir string, direct bool) (*evidence.Archive, error) {
	var err error
	for try := 0; try < 5; try++ {
		var a *evidence.Archive
		if a, err = openEvidence(e, dataDir, direct); err == nil {
			return a, nil
		}
		time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
	}
	return nil, err
}

// watchlists is what the processing role (Check) and the API (the rest) use
// of the watchlist database.
type watchlists interface {
	web.Watchlists
	activities.WatchlistChecker
}

// sharedWatchlists opens the watchlist database for each call and closes it
// after, so the API and processing workers on one data volume take turns
// (its bbolt file admits one process at a time). Each open loads the lists
// into memory: fine for lists of thousands of hashes checked once a batch.
type sharedWatchlists struct {
	path string
	mu   sync.Mutex
}

func (s *sharedWatchlists) with(fn func(*watchlist.DB) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	db, err := watchlist.Open(s.path)
	if err != nil {
		return err
	}
	ferr := fn(db)
	if err := db.Close(); ferr == nil && err != nil {
		ferr = fmt.Errorf("close watchlist db: %w", err)
	}
	return ferr
}

func (s *sharedWatchlists) Lists() (out []watchlist.List, err error) {
	err = s.with(func(db *watchlist.DB) error { out, err = db.Lists(); return err })
	return out, err
}

func (s *sharedWatchlists) Import(name string, rows []watchlist.Row) (res watchlist.ImportResult, err error) {
	err = s.with(func(db *watchlist.DB) error { res, err = db.Import(name, rows); return err })
	return res, err
}

func (s *sharedWatchlists) Alerts(limit int) (out []watchlist.Alert, err error) {
	err = s.with(func(db *watchlist.DB) error { out, err = db.Alerts(limit); return err })
	return out, err
}

func (s *sharedWatchlists) Check(images []vigil.Image) (out []watchlist.Alert, err error) {
	err = s.with(func(db *watchlist.DB) error { out, err = db.Check(images); return err })
	return out, err
}
