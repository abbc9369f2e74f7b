package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"vigil/cases/audit"
	"vigil/crawler"
	"vigil/store/elastic"
	"vigil/workflows"
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
// serve`, read once from flags and the environment; Main wires a process
// from it.
type config struct {
	Roles roles
	// Shared opens the crawl state and the watchlists for each transaction
	// instead of holding them, so other processes on the same data volume
	// can use them (worker and serve; up owns everything).
	Shared bool
	// EmbeddedTemporal starts the embedded Temporal server when
	// TEMPORAL_ADDRESS is unset (up); worker and serve require an address.
	EmbeddedTemporal bool

	DataDir string
	// SecretsDir holds the login recipes, cookie files and credentials
	// crawls name (crawler.Secrets); "" means DATA/secrets.
	SecretsDir  string
	Listen      string
	PublicURL   string // the URL investigators reach the API at (VIGIL_PUBLIC_URL); https makes cookies Secure
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
	// AuditEvery is how many audit entries the API writes between signed
	// checkpoints of the log's head (0: audit.DefaultEvery).
	AuditEvery int
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
	f.StringVar(&c.SecretsDir, "secrets", "", "directory of the login recipes, cookie files and credentials crawls name (default DATA/secrets; env VIGIL_SECRETS); the API and the crawl workers must share it")
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
	f.StringVar(&c.PublicURL, "public-url", "", "URL investigators reach the page at, e.g. behind a TLS proxy (env VIGIL_PUBLIC_URL); https marks the session cookie Secure, as a non-loopback --listen does")
	f.IntVar(&c.BatchSize, "batch-size", workflows.DefaultBatchSize, "pages per crawl batch activity (crawls started here)")
	f.IntVar(&c.AuditEvery, "audit-checkpoint-every", audit.DefaultEvery, "audit entries between signed checkpoints of the audit log's head (one is also written at start and shutdown)")
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
	if v := os.Getenv("VIGIL_PUBLIC_URL"); v != "" && unset("public-url") {
		c.PublicURL = v
	}
	if v := os.Getenv("VIGIL_SECRETS"); v != "" && unset("secrets") {
		c.SecretsDir = v
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

// secretsDir is where the secret store lives: --secrets, else DATA/secrets.
func secretsDir(c config, dataDir string) string {
	if c.SecretsDir != "" {
		return c.SecretsDir
	}
	return filepath.Join(dataDir, "secrets")
}

// errEmbeddedProcess is why a processing worker cannot use the embedded
// index.
var errEmbeddedProcess = errors.New("the processing role writes the index, and the embedded index (DATA/index) belongs to one process: " +
	"set ELASTICSEARCH_URL to share an Elasticsearch index between processes, or run processing inside `vigil serve` (it does so with the embedded index) and start workers with --role crawl")
