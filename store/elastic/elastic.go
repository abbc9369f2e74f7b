// Package elastic is Vigil's production index: a vigil.Store on an
// Elasticsearch 8 cluster (8.15 or later, for hamming() over bit vectors).
//
// Open applies three index templates embedded in the binary
// (mappings/*.json) and creates one versioned index per record kind behind
// an alias, unless the alias already exists:
//
//	<prefix>-pages-v1     behind <prefix>-pages     captured documents
//	<prefix>-findings-v1  behind <prefix>-findings  contact findings with provenance
//	<prefix>-images-v1    behind <prefix>-images    image hashes
//
// Every read and write goes through the aliases, so an operator can reindex
// into <prefix>-pages-v2 and swap the alias without downtime (deploy/SCALING.md).
//
// Document IDs are the records' own deterministic IDs, so a retried write
// replaces instead of duplicating. Writes go through esutil.BulkIndexer; items
// rejected with 429 or 5xx are retried, items rejected with another status are
// reported as EINVALID errors.
//
// The "kind" facet and the Query.Kind filter rely on a "kinds" keyword field
// of each page: the set of contact kinds of its findings. Both PutDocuments
// and PutFindings write pages with scripted upserts that merge kinds, so the
// put order does not matter: findings put before their page create a
// placeholder page (no id field) holding only crawl_id and kinds, which every
// read ignores and the later PutDocuments completes.
//
// Image matching is exact. A stored PDQ hash is also written as 16 chunk
// keywords of 16 bits (pdq_c0..pdq_c15), a pHash as 4 (phash_c0..phash_c3).
// By the pigeonhole principle, a hash within Hamming distance r of the query
// has at least one chunk within floor(r/m) bits of the query's chunk (m
// chunks), so a terms filter on the query chunks and their neighbours within
// floor(r/m) bits finds every candidate; a script_score with hamming() keeps
// exactly those within r (min_score = bits − r). When the neighbour lists
// would be too long (floor(r/m) ≥ 5 for PDQ), the filter falls back to every
// image with that hash, scanned by the script: still exact, but linear.
//
// Captures (raw bodies) are not kept in Elasticsearch: Store does not
// implement vigil.CaptureStore.
package elastic

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"vigil"
)

// Interface guards.
var _ vigil.Store = (*Store)(nil)

//go:embed mappings/*.json
var mappingFiles embed.FS

// indexVersion is the version suffix of the indices Open creates.
const indexVersion = "v1"

// The record kinds, each with its template, index and alias.
const (
	kindPages    = "pages"
	kindFindings = "findings"
	kindImages   = "images"
)

var recordKinds = []string{kindPages, kindFindings, kindImages}

// Config configures an Elasticsearch store. Only URLs is required; every
// other zero value works.
type Config struct {
	// URLs are the cluster's HTTP endpoints, e.g. http://127.0.0.1:9200.
	// Required: the environment is never read.
	URLs []string
	// Username and Password authenticate with HTTP basic auth.
	Username, Password string
	// APIKey is a base64 API key; it takes precedence over Username.
	APIKey string
	// CACert is PEM certificate authorities for https URLs; nil uses the
	// system pool.
	CACert []byte
	// IndexPrefix prefixes every template, index and alias name. Default
	// "vigil". It must be lower-case letters, digits, '-' or '_' and start
	// with a letter.
	IndexPrefix string
	// Shards is number_of_shards of new indices. Default 1; see
	// deploy/CAPACITY.md for production sizes.
	Shards int
	// Replicas is number_of_replicas of new indices. Default 0, right for a
	// single node; set 1 or more on a multi-node cluster.
	Replicas int
	// Refresh is the bulk refresh policy: "" or "wait_for" (default) makes
	// every Put visible to the next read, as vigil.Store promises; "false"
	// trades that promise for throughput; "true" forces a refresh.
	Refresh string
	// MaxRetries is how many times items rejected with 429 or 5xx are
	// retried, and how many times the client retries a request that failed
	// with 429, 502, 503 or 504. Default 3; negative disables retries.
	MaxRetries int
	// RetryBackoff is the wait before retry attempt (1, 2, …). Default:
	// exponential from 100 ms, at most 5 s.
	RetryBackoff func(attempt int) time.Duration
	// FlushBytes is the bulk request size threshold. Default 5 MB.
	FlushBytes int
	// Transport replaces the HTTP transport (tests use a fake). Nil uses
	// the client's default.
	Transport http.RoundTripper
}

// Store is the Elasticsearch index. It implements vigil.Store; all methods
// are safe for concurrent use. A Put that returned nil is visible to every
// later read unless Config.Refresh is "false". An unreachable cluster yields
// EUNAVAILABLE errors; so do 429 and 5xx responses that persist after the
// retries.
type Store struct {
	es         *elasticsearch.Client
	prefix     string
	refresh    string
	maxRetries int
	backoff    func(int) time.Duration
	flushBytes int

	mu     sync.RWMutex
	closed bool
}

var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// Open connects to the cluster, applies the embedded index templates and
// creates the versioned indices behind their aliases where the aliases do
// not exist yet. Opening an initialised cluster changes no index; templates
// are re-applied (they only affect indices created later). It returns an
// EINVALID error for a bad Config and an EUNAVAILABLE error when the
// cluster cannot be reached.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.URLs) == 0 {
		return nil, vigil.Errorf(vigil.EINVALID, "elastic store: URLs is required")
	}
	prefix := cfg.IndexPrefix
	if prefix == "" {
		prefix = "vigil"
	}
	if !prefixRE.MatchString(prefix) {
		return nil, vigil.Errorf(vigil.EINVALID, "elastic store: index prefix %q must be lower-case letters, digits, - or _", prefix)
	}
	switch cfg.Refresh {
	case "":
		cfg.Refresh = "wait_for"
	case "wait_for", "true", "false":
	default:
		return nil, vigil.Errorf(vigil.EINVALID, "elastic store: refresh %q is not wait_for, true or false", cfg.Refresh)
	}
	if cfg.Shards < 0 || cfg.Replicas < 0 {
		return nil, vigil.Errorf(vigil.EINVALID, "elastic store: shards and replicas must not be negative")
	}
	maxRetries := cfg.MaxRetries
	if maxRetries == 0 {
		maxRetries = 3
	} else if maxRetries < 0 {
		maxRetries = 0
	}
	backoff := cfg.RetryBackoff
	if backoff == nil {
		backoff = defaultBackoff
	}
	flushBytes := cfg.FlushBytes
	if flushBytes <= 0 {
		flushBytes = 5 << 20
	}
	es, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses:     cfg.URLs,
		Username:      cfg.Username,
		Password:      cfg.Password,
		APIKey:        cfg.APIKey,
		CACert:        cfg.CACert,
		Transport:     cfg.Transport,
		RetryOnStatus: []int{429, 502, 503, 504},
		DisableRetry:  maxRetries == 0,
		MaxRetries:    maxRetries,
		RetryBackoff:  backoff,
	})
	if err != nil {
		return nil, vigil.Errorf(vigil.EINVALID, "elastic store: %v", err)
	}
	s := &Store{es: es, prefix: prefix, refresh: cfg.Refresh, maxRetries: maxRetries, backoff: backoff, flushBytes: flushBytes}
	for _, kind := range recordKinds {
		if err := s.applyTemplate(ctx, kind, cfg.Shards, cfg.Replicas); err != nil {
			return nil, err
		}
	}
	for _, kind := range recordKinds {
		if err := s.ensureIndex(ctx, kind); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func defaultBackoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt-1, 6)
	return min(d, 5*time.Second)
}

// alias returns the alias every read and write of kind goes through.
func (s *Store) alias(kind string) string { return s.prefix + "-" + kind }

// Alias returns the alias of a record kind ("pages", "findings" or
// "images"), for operators and tests.
func (s *Store) Alias(kind string) string { return s.alias(kind) }

// applyTemplate puts the index template of kind, with the store's index
// pattern and shard settings.
func (s *Store) applyTemplate(ctx context.Context, kind string, shards, replicas int) error {
	raw, err := mappingFiles.ReadFile("mappings/" + kind + ".json")
	if err != nil {
		return fmt.Errorf("elastic store: template %s: %w", kind, err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		return fmt.Errorf("elastic store: template %s: %w", kind, err)
	}
	tmpl["index_patterns"] = []string{s.alias(kind) + "-*"}
	tmpl["priority"] = 500
	index := tmpl["template"].(map[string]any)["settings"].(map[string]any)["index"].(map[string]any)
	index["number_of_shards"] = max(shards, 1)
	index["number_of_replicas"] = replicas
	_, err = s.do(ctx, "put template", http.MethodPut, "/_index_template/"+s.alias(kind), nil, tmpl)
	return err
}

// ensureIndex creates the versioned index of kind behind its alias unless
// the alias exists. Another Open racing to create it is not an error.
func (s *Store) ensureIndex(ctx context.Context, kind string) error {
	alias := s.alias(kind)
	status, _, err := s.perform(ctx, http.MethodHead, "/_alias/"+alias, nil, nil)
	if err != nil {
		return fmt.Errorf("elastic store: alias %s: %w", alias, err)
	}
	switch status {
	case http.StatusOK:
		return nil
	case http.StatusNotFound:
	default:
		return statusError("elastic store: alias "+alias, status, nil)
	}
	body := map[string]any{"aliases": map[string]any{alias: map[string]any{"is_write_index": true}}}
	status, resp, err := s.perform(ctx, http.MethodPut, "/"+alias+"-"+indexVersion, nil, body)
	if err != nil {
		return fmt.Errorf("elastic store: create index: %w", err)
	}
	if status == http.StatusBadRequest && errorType(resp) == "resource_already_exists_exception" {
		return nil
	}
	if status >= 300 {
		return statusError("elastic store: create index "+alias+"-"+indexVersion, status, resp)
	}
	return nil
}

// Close releases the store; later calls return EUNAVAILABLE errors. The
// cluster and its data are untouched. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// begin fails once the store is closed or ctx is done. The caller must call
// s.mu.RUnlock when begin returns nil.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("elastic store: %w", err)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return vigil.Errorf(vigil.EUNAVAILABLE, "elastic store is closed")
	}
	return nil
}

// perform sends one request and returns the status and body of the
// response. A transport failure (the cluster cannot be reached, or what
// answers is not Elasticsearch) is an EUNAVAILABLE error; HTTP error
// statuses are returned for the caller to judge.
func (s *Store) perform(ctx context.Context, method, path string, query url.Values, body any) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return 0, nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(buf)
	}
	u, err := url.Parse(path) // path is escaped: IDs go through url.PathEscape
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	if rd != nil {
		if _, ndjson := body.([]byte); ndjson {
			req.Header.Set("Content-Type", "application/x-ndjson")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	res, err := s.es.Perform(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, unavailable(err)
	}
	defer res.Body.Close()
	resp, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, unavailable(err)
	}
	return res.StatusCode, resp, nil
}

// unavailable wraps a transport failure as an EUNAVAILABLE error.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", vigil.Errorf(vigil.EUNAVAILABLE, "elasticsearch is unreachable: %v", err), err)
}

// do sends a request whose success is a 2xx status and returns the body;
// other statuses become errors (see statusError).
func (s *Store) do(ctx context.Context, what, method, path string, query url.Values, body any) ([]byte, error) {
	status, resp, err := s.perform(ctx, method, path, query, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if status >= 300 {
		return nil, statusError(what, status, resp)
	}
	return resp, nil
}

// esError is the error object of an Elasticsearch error response.
type esError struct {
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	RootCause []struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"root_cause"`
}

// errorType returns the error type of an error response body, or "".
func errorType(body []byte) string {
	var r struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	var e esError
	if json.Unmarshal(r.Error, &e) != nil {
		return ""
	}
	return e.Type
}

// statusError turns an error response into an error: 429 and 5xx are
// EUNAVAILABLE (the cluster is overloaded or down: retry later), every
// other status EINTERNAL (a request Vigil should not have sent, a missing
// index, rejected credentials). The message names the Elasticsearch error
// type and reason.
func statusError(what string, status int, body []byte) error {
	code := vigil.EINTERNAL
	if status == http.StatusTooManyRequests || status >= 500 {
		code = vigil.EUNAVAILABLE
	}
	var r struct {
		Error json.RawMessage `json:"error"`
	}
	detail := http.StatusText(status)
	if json.Unmarshal(body, &r) == nil && len(r.Error) > 0 {
		var e esError
		var s string
		switch {
		case json.Unmarshal(r.Error, &e) == nil && e.Type != "":
			detail = e.Type + ": " + e.Reason
			if len(e.RootCause) > 0 && e.RootCause[0].Type != e.Type {
				detail += " (" + e.RootCause[0].Type + ": " + e.RootCause[0].Reason + ")"
			}
		case json.Unmarshal(r.Error, &s) == nil:
			detail = s
		}
	}
	return vigil.Errorf(code, "%s: elasticsearch status %d: %s", what, status, detail)
}

// hexLower returns s in lower case: stored hashes are compared as keywords.
func hexLower(s string) string { return strings.ToLower(s) }
