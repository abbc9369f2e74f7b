// Package activities implements the side effects of Vigil's workflows:
// fetching pages through Tor, storing captures, extracting findings, hashing
// images and indexing. Each exported method of Activities implements an
// activity of workflows.Contract and is registered through it
// (RegisterCrawl, RegisterProcess).
//
// Errors are classified here, once: bad input is a non-retryable
// application error of type workflows.ErrorTypeInvalid; everything else
// (proxy down, index unavailable, disk full) is retried by the workflow's
// retry policy.
package activities

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"

	"vigil"
	"vigil/crawler"
	"vigil/extractors/imagehash"
	"vigil/extractors/templates"
	"vigil/store/crawlstate"
	"vigil/workflows"
)

// Activities holds the dependencies of the crawl activities. All fields but
// Logger and Watchlist are required; Crawler.Transport is ignored (Transport is used).
type Activities struct {
	Store      vigil.Store
	Captures   vigil.CaptureStore
	State      *crawlstate.DB
	Extractors []vigil.Extractor
	Hasher     *imagehash.Hasher
	// Transport returns the network transport of a crawl: SOCKS5 through Tor
	// with a circuit per site, or loopback-only lab mode. It fails when no
	// proxy is configured, and the crawl then refuses to start.
	Transport func(crawlID string) (http.RoundTripper, error)
	// Crawler is the template of each batch's crawler configuration.
	Crawler crawler.Config
	Logger  *slog.Logger
	// Watchlist, when set, checks every image IndexBatch indexes; each alert
	// it returns is logged (slog Warn). A failing check fails the batch,
	// which is retried.
	Watchlist WatchlistChecker
	// Templates, when set, are applied to every HTML page CrawlBatch
	// captures; the records and any template drift wait with the capture,
	// and IndexBatch logs and counts the drift. Records are not indexed yet.
	Templates *templates.Set
	// Evidence, when set, archives every page CrawlBatch captures as WARC
	// records (the document records where) and refreshes the crawl's signed
	// manifest at the end of every batch, before the commit.
	Evidence EvidenceArchive
	// ImageStore, when set (images are kept: --evidence-keep-images),
	// receives every image CrawlBatch hashes, before its bytes are dropped,
	// in WARC files of its own apart from the pages' (an archive with
	// KeepImages). It needs Evidence: its batches are sealed with the
	// evidence's.
	ImageStore EvidenceArchive

	// Secrets holds the login recipes, cookie files and credentials that
	// crawls name (CrawlRequest.Login, CrawlRequest.Cookies); required for
	// a crawl that names one.
	Secrets *crawler.Secrets

	// sessions holds the login session of each crawl with a login recipe
	// (crawl ID → *crawler.Session), shared by its batches on this worker.
	sessions sync.Map
}

// RegisterCrawl registers the crawl role's activities on r: StartCrawl and
// CrawlBatch, which fetch through Tor (workers of workflows.CrawlTaskQueue).
func (a *Activities) RegisterCrawl(r workflows.Registry) {
	workflows.Contract.StartCrawl.Register(r, a.StartCrawl)
	workflows.Contract.CrawlBatch.Register(r, a.CrawlBatch)
}

// RegisterProcess registers the processing role's activity on r:
// IndexBatch (workers of workflows.ProcessTaskQueue).
func (a *Activities) RegisterProcess(r workflows.Registry) {
	workflows.Contract.IndexBatch.Register(r, a.IndexBatch)
}

// Register registers both roles' activities on r, for a worker that runs
// them all from one task queue.
func (a *Activities) Register(r workflows.Registry) {
	a.RegisterCrawl(r)
	a.RegisterProcess(r)
}

func invalid(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return temporal.NewNonRetryableApplicationError(msg, workflows.ErrorTypeInvalid, nil)
}

// errLegacyPath is why a crawl started with a path for its login recipe or
// cookie file is refused.
const errLegacyPath = "this crawl names its login recipe or cookie file by path, which is no longer accepted: " +
	"an admin stores them (vigil secrets add login|cookies NAME FILE) and the crawl names them (vigil crawl --login NAME --cookies NAME)"

// checkSecrets refuses a crawl whose stored cookie file or login recipe
// cannot be read, whose recipe logs in to none of hosts, or that names
// either by path.
func (a *Activities) checkSecrets(in workflows.StartCrawlInput, hosts []string) error {
	if in.CookieFile != "" || in.LoginFile != "" {
		return invalid(errLegacyPath)
	}
	if in.Cookies == "" && in.Login == "" {
		return nil
	}
	if a.Secrets == nil {
		return invalid("this crawl worker has no secret store for login recipes and cookie files")
	}
	if in.Cookies != "" {
		if _, err := a.Secrets.CookieJar(in.Cookies); err != nil {
			return invalid("%v", err)
		}
	}
	if in.Login != "" {
		l, err := a.Secrets.Login(in.Login)
		if err != nil {
			return invalid("%v", err)
		}
		if !slices.ContainsFunc(hosts, func(h string) bool { return strings.EqualFold(h, l.Host()) }) {
			return invalid("login recipe %q logs in to %s, which is not among the crawl's sites %v", in.Login, l.Host(), hosts)
		}
	}
	return nil
}

// StartCrawl validates the seeds and records the crawl's initial frontier.
func (a *Activities) StartCrawl(ctx context.Context, in workflows.StartCrawlInput) (workflows.StartCrawlResult, error) {
	scope, reqs, err := crawler.ScopeFor(in.Seeds)
	if err != nil {
		return workflows.StartCrawlResult{}, invalid("%v", err)
	}
	if err := a.checkSecrets(in, scope.Hosts); err != nil {
		return workflows.StartCrawlResult{}, err
	}
	// Refuse to start without a usable network configuration.
	if _, err := a.Transport(in.CrawlID); err != nil {
		return workflows.StartCrawlResult{}, invalid("%v", err)
	}
	seeds := make([]crawlstate.Request, len(reqs))
	for i, r := range reqs {
		seeds[i] = crawlstate.Request{URL: r.URL, Depth: r.Depth}
	}
	q, err := a.State.Start(crawlstate.Meta{
		CrawlID: in.CrawlID, CaseID: in.CaseID, Seeds: in.Seeds, Hosts: scope.Hosts,
		MaxDepth: in.MaxDepth, Robots: in.Robots, Cookies: in.Cookies, Login: in.Login, Created: time.Now().UTC(),
	}, seeds)
	if err != nil {
		return workflows.StartCrawlResult{}, err
	}
	return workflows.StartCrawlResult{Queued: q}, nil
}
