package cases

import "context"

// CrawlState is the crawl state of a deployment as a case purge sees it;
// *crawlstate.DB implements it.
type CrawlState interface {
	PurgeCase(caseID string) ([]string, error)
	CaseCrawls(caseID string) ([]string, error)
	ContentOf(crawlIDs []string) (int, error)
}

// Index is an index that can purge a case; the embedded and the
// Elasticsearch stores implement it.
type Index interface {
	PurgeCase(ctx context.Context, caseID string) ([]string, error)
	CaseCrawls(ctx context.Context, caseID string) ([]string, error)
}

// Alerts is an alert store that can purge a case; *watchlist.DB and
// *watchlist.Shared implement it.
type Alerts interface {
	PurgeCase(caseID string) (int, error)
	CaseAlerts(caseID string) (int, error)
}

// Evidence is the WARC evidence of a deployment as a case purge sees it;
// evidence.Dir implements it. PurgeCase removes the crawls whose manifest
// names the case, PurgeCrawls the named crawls whatever their manifest
// says, and CountCase counts what is left of either.
type Evidence interface {
	PurgeCase(caseID string) ([]string, error)
	PurgeCrawls(crawlIDs []string) ([]string, error)
	CountCase(caseID string, crawlIDs []string) (int, error)
}

// Holdings are the places of one deployment that hold the data of cases.
// Index and Evidence are required; State and Alerts are nil when the
// process holds none.
type Holdings struct {
	State    CrawlState
	Index    Index
	Alerts   Alerts
	Evidence Evidence
}

// Parts returns the parts of a Manager for h, in purge order: the crawl
// state first (so no pending capture is indexed again), then the index
// with its raw captures, the alerts and the WARC evidence (by the crawls
// the others found, and by manifest).
func (h Holdings) Parts() []Part {
	var parts []Part
	if h.State != nil {
		parts = append(parts, statePart(h.State))
	}
	parts = append(parts, Part{
		Name: "index",
		Purge: func(ctx context.Context, id string, _ []string) ([]string, int, error) {
			crawls, err := h.Index.PurgeCase(ctx, id)
			return crawls, len(crawls), err
		},
		Remaining: func(ctx context.Context, id string, _ []string) (int, error) {
			left, err := h.Index.CaseCrawls(ctx, id)
			return len(left), err
		},
		Crawls: h.Index.CaseCrawls,
	})
	if h.Alerts != nil {
		parts = append(parts, Part{
			Name: "alerts",
			Purge: func(ctx context.Context, id string, _ []string) ([]string, int, error) {
				n, err := h.Alerts.PurgeCase(id)
				return nil, n, err
			},
			Remaining: func(ctx context.Context, id string, _ []string) (int, error) { return h.Alerts.CaseAlerts(id) },
		})
	}
	return append(parts, Part{
		Name: "evidence",
		Purge: func(ctx context.Context, id string, crawls []string) ([]string, int, error) {
			byManifest, err := h.Evidence.PurgeCase(id)
			if err != nil {
				return nil, 0, err
			}
			byCrawl, err := h.Evidence.PurgeCrawls(crawls)
			return byManifest, len(byManifest) + len(byCrawl), err
		},
		Remaining: func(ctx context.Context, id string, crawls []string) (int, error) {
			return h.Evidence.CountCase(id, crawls)
		},
	})
}

// statePart is the crawl-state part of a purge.
func statePart(state CrawlState) Part {
	return Part{
		Name: "crawl state",
		Purge: func(ctx context.Context, id string, _ []string) ([]string, int, error) {
			crawls, err := state.PurgeCase(id)
			return crawls, len(crawls), err
		},
		Remaining: func(ctx context.Context, id string, crawls []string) (int, error) {
			left, err := state.CaseCrawls(id)
			if err != nil {
				return 0, err
			}
			n, err := state.ContentOf(crawls)
			return len(left) + n, err
		},
		Crawls: func(ctx context.Context, id string) ([]string, error) { return state.CaseCrawls(id) },
	}
}
