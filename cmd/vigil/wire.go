package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"vigil"
	"vigil/activities"
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

// The steps of Main.Open, in order. Each one registers with atClose what
// Close must undo.

// watchlists is what the processing role (Check) and the API (the rest) use
// of the watchlist database.
type watchlists interface {
	web.Watchlists
	activities.WatchlistChecker
}

// checkConfig refuses a configuration the roles cannot run with, with a
// usageError that says what to do. For the API it opens the token store,
// which decides whether a non-loopback address is allowed.
func (m *Main) checkConfig() error {
	cfg, r := m.Config, m.Config.Roles
	if cfg.Temporal == "" && !cfg.EmbeddedTemporal {
		return usagef("TEMPORAL_ADDRESS is not set: workers and the API of a split deployment share a Temporal cluster (host:port); `vigil up` runs an embedded one")
	}
	if r.API {
		var err error
		if m.tokens, err = web.OpenTokens(tokenPath(cfg.DataDir)); err != nil {
			return err
		}
		if err := web.CheckListen(cfg.Listen, cfg.Token != "" || m.tokens.Len() > 0); err != nil {
			return usageError{err}
		}
		m.loopback, _ = web.IsLoopback(cfg.Listen)
		if u, err := url.Parse(cfg.PublicURL); cfg.PublicURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil) {
			return usagef("--public-url must be an http(s) URL with a host and no credentials")
		}
		if !m.loopback && cfg.Direct {
			return usagef("--direct (lab mode: crawls reach this machine's loopback services) is refused with a non-loopback --listen %s: anyone who can reach the API could crawl the server's local services", cfg.Listen)
		}
		if !m.loopback && cfg.Token != "" {
			if err := web.CheckToken(cfg.Token); err != nil {
				return usageError{err}
			}
		}
	}
	if cfg.Direct && cfg.TorSOCKS != "" {
		return usagef("--direct and --tor-socks exclude each other")
	}
	if cfg.Demo && (cfg.Direct || cfg.TorSOCKS != "") {
		return usagef("--demo runs its own private Tor network: drop --direct and --tor-socks")
	}
	if r.Process && !r.API && cfg.Shared && len(cfg.Elastic.URLs) == 0 {
		return usageError{errEmbeddedProcess}
	}
	return nil
}

// openIndex creates the data directory and opens the index: the processing
// role writes it, the API reads it. It is Elasticsearch when configured,
// else the embedded index, which also keeps the raw captures.
func (m *Main) openIndex(ctx context.Context) error {
	cfg, r := m.Config, m.Config.Roles
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	m.dir = dir
	if !r.Process && !r.API {
		return nil
	}
	if len(cfg.Elastic.URLs) > 0 {
		es, err := elastic.Open(ctx, cfg.Elastic)
		if err != nil {
			return fmt.Errorf("open the Elasticsearch index: %w", err)
		}
		m.atClose(es.Close)
		m.store, m.index = es, "Elasticsearch "+strings.Join(cfg.Elastic.URLs, ",")
		return nil
	}
	emb, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "index")})
	if err != nil {
		return fmt.Errorf("open the index: %w (another vigil up or serve may own it: the embedded index belongs to one process)", err)
	}
	m.atClose(emb.Close)
	m.store, m.captures, m.index = emb, emb, "embedded "+filepath.Join(dir, "index")
	return nil
}

// startTemporal starts the embedded Temporal server unless a cluster is
// named, and connects to it.
func (m *Main) startTemporal(context.Context) error {
	cfg := m.Config
	m.hostPort = cfg.Temporal
	if m.hostPort == "" {
		srv, err := devserver.Start(devserver.Config{DataDir: filepath.Join(m.dir, "temporal"), Namespace: cfg.Namespace, UIPort: cfg.TemporalUI})
		if err != nil {
			return fmt.Errorf("start the embedded Temporal server: %w", err)
		}
		m.atClose(func() error { srv.Stop(); return nil })
		m.hostPort, m.uiURL = srv.FrontendAddress(), srv.UIURL()
	}
	tc, err := sdkclient.Dial(sdkclient.Options{
		HostPort:  m.hostPort,
		Namespace: cfg.Namespace,
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", m.hostPort, err)
	}
	m.atClose(func() error { tc.Close(); return nil })
	m.temporal = tc
	return nil
}

// openSharedState opens what the roles share on the data volume: the raw
// captures, the crawl state, the audit log, the watchlists and the secret
// store. With
// Config.Shared the crawl state and the watchlists are opened for each
// transaction, so other processes on the volume can use them.
func (m *Main) openSharedState(context.Context) error {
	cfg, r := m.Config, m.Config.Roles
	// Raw captures: the crawl role writes them, the API serves them. The
	// embedded store keeps them beside its index; without it the same
	// directory is used as a plain capture store.
	if m.captures == nil && (r.Crawl || r.API) {
		fs, err := capturefs.Open(captureDir(m.dir))
		if err != nil {
			return err
		}
		m.captures = fs
	}
	var err error
	if r.Crawl || r.Process {
		if cfg.Shared {
			m.state, err = crawlstate.OpenShared(crawlStatePath(m.dir))
		} else {
			m.state, err = crawlstate.Open(crawlStatePath(m.dir))
		}
		if err != nil {
			return err
		}
		m.atClose(m.state.Close)
	}
	m.secrets = &crawler.Secrets{Dir: secretsDir(cfg, m.dir)}
	if r.API {
		if m.audit, err = openAudit(m.dir, cfg.AuditEvery); err != nil {
			return err
		}
		m.atClose(m.audit.Close)
	}
	if r.Process || r.API {
		if cfg.Shared {
			m.lists = &watchlist.Shared{Path: watchlistPath(m.dir)}
		} else {
			db, err := watchlist.Open(watchlistPath(m.dir))
			if err != nil {
				return err
			}
			m.atClose(db.Close)
			m.lists = db
		}
	}
	return nil
}

// buildActivities gives the activities what they use. For the crawl role
// (and the demo) it starts the network side (startTor) and loads the site
// templates and the evidence archive.
func (m *Main) buildActivities(ctx context.Context) error {
	cfg, r := m.Config, m.Config.Roles
	m.acts = &activities.Activities{
		Store:      m.store,
		Captures:   m.captures,
		State:      m.state,
		Extractors: []vigil.Extractor{contacts.New(contacts.Config{Region: cfg.Region})},
		Hasher:     imagehash.New(imagehash.Config{}),
		Logger:     m.Logger,
		Secrets:    m.secrets,
	}
	if m.lists != nil {
		m.acts.Watchlist = m.lists
	}
	if !r.Crawl && !cfg.Demo {
		return nil
	}
	tn, err := startTor(ctx, cfg, m.dir, m.Logger)
	if err != nil {
		return err
	}
	m.atClose(func() error { tn.Close(); return nil })
	m.tn = tn
	m.acts.Transport = tn.transport
	m.acts.Crawler = crawler.Config{Concurrency: cfg.Concurrency, FetchImages: true, Politeness: cfg.Politeness}
	if cfg.Templates != "" {
		if m.acts.Templates, err = templates.Load(cfg.Templates); err != nil {
			return usagef("--templates: %v", err)
		}
	}
	archive, images, err := openEvidence(cfg.Evidence, m.dir, cfg.Direct, tn.transport)
	if err != nil {
		return err
	}
	if archive != nil {
		m.acts.Evidence = archive
	}
	if images != nil {
		m.acts.ImageStore = images
	}
	return nil
}

// startWorkers starts one Temporal worker for each task queue the roles
// poll.
func (m *Main) startWorkers(context.Context) error {
	host, _ := os.Hostname()
	m.identity = fmt.Sprintf("%d@%s@vigil-%s", os.Getpid(), host, m.Config.Roles)
	queues := registrations(m.Config.Roles, m.acts)
	for _, q := range []string{workflows.TaskQueue, workflows.CrawlTaskQueue, workflows.ProcessTaskQueue} {
		register, ok := queues[q]
		if !ok {
			continue
		}
		w := worker.New(m.temporal, q, worker.Options{Identity: m.identity})
		register(w)
		if err := w.Start(); err != nil {
			return fmt.Errorf("start the worker of task queue %s: %w", q, err)
		}
		m.atClose(func() error { w.Stop(); return nil })
	}
	return nil
}

// registrations returns, for each task queue the roles r poll, what its
// worker registers: the CrawlSite workflow and the activities of acts.
func registrations(r roles, acts *activities.Activities) map[string]func(worker.Worker) {
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
	return queues
}

// startAPI starts, for the API role, the crawl and case services (with the
// retention sweeper) and serves the API and web page on Config.Listen.
func (m *Main) startAPI(ctx context.Context) error {
	cfg := m.Config
	if !cfg.Roles.API {
		return nil
	}
	m.crawls = &crawlclient.Service{Client: m.temporal, BatchSize: cfg.BatchSize, HeartbeatTimeout: cfg.HeartbeatTimeout}
	caseMgr, stopSweeper, err := startCases(ctx, m.dir, cfg.Demo, cfg.Shared, m.crawls, m.state, m.store, m.lists, m.audit, m.Logger)
	if err != nil {
		return err
	}
	m.atClose(func() error { stopSweeper(); return nil })
	m.cases = caseMgr
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another vigil running? use --listen)", cfg.Listen, err)
	}
	m.ln = ln
	wcfg := web.Config{Store: m.store, Captures: m.captures, Crawls: caseMgr.Guard(), Cases: caseMgr, Audit: m.audit, Secrets: m.secrets, Token: cfg.Token,
		Tokens: m.tokens, RequireToken: !m.loopback, Addr: ln.Addr().String(), SecureCookies: !m.loopback || strings.HasPrefix(cfg.PublicURL, "https:"),
		Logger: m.Logger, Matcher: &match.Matcher{Hasher: m.acts.Hasher, Index: m.store}, Images: evidence.Dir(imageStoreDir(m.dir))}
	if m.lists != nil {
		wcfg.Watchlist = m.lists
	}
	api := web.NewHTTPServer(web.New(wcfg))
	m.serveErr = make(chan error, 1)
	limited := web.LimitListener(ln, web.MaxConnsPerClient)
	go func() { m.serveErr <- api.Serve(limited) }()
	m.atClose(api.Close)
	return nil
}

// printBanner says what runs and where.
func (m *Main) printBanner() {
	out := m.Out
	fmt.Fprintln(out, m.Banner)
	if m.ln != nil {
		fmt.Fprintf(out, "  Web page and API: http://%s/\n", m.ln.Addr())
	}
	if m.uiURL != "" {
		fmt.Fprintf(out, "  Temporal UI:      %s\n", m.uiURL)
	}
	fmt.Fprintf(out, "  Temporal:         %s (namespace %s)\n", m.hostPort, m.Config.Namespace)
	fmt.Fprintf(out, "  Roles:            %s (worker identity %s)\n", m.Config.Roles, m.identity)
	if m.index != "" {
		fmt.Fprintf(out, "  Index:            %s\n", m.index)
	}
	fmt.Fprintf(out, "  Data:             %s\n", m.dir)
}

// startDemo starts the private Tor network with the demo sites and the
// demo crawl of them (--demo, with every role).
func (m *Main) startDemo(ctx context.Context) error {
	out := m.Out
	seeds, sites, err := m.tn.startDemo(ctx, m.dir, m.Config.DemoPages, out)
	if err != nil {
		return err
	}
	st, err := m.cases.Guard().StartCrawl(ctx, vigil.CrawlRequest{Seeds: seeds, MaxDepth: -1, MaxPages: m.Config.DemoPages * 2, CaseID: "demo"})
	if err != nil {
		return fmt.Errorf("start the demo crawl: %w", err)
	}
	fmt.Fprintf(out, "  Demo forum:       %s\n", seeds[0])
	fmt.Fprintf(out, "  Demo market:      %s\n", seeds[1])
	fmt.Fprintf(out, "  Tor SOCKS:        %s (private network, %s)\n", m.tn.socks, m.tn.private.Dir())
	fmt.Fprintf(out, "  Demo crawl:       %s started (progress: http://%s/api/crawls/%s)\n", st.ID, m.ln.Addr(), st.ID)
	fmt.Fprintf(out, "Try: vigil search --server http://%s %q\n", m.ln.Addr(), sites[0].Signatures()[0].Value)
	return nil
}
