// Command search is Vigil's search latency benchmark (`make bench-search`,
// part of `make bench`). For each corpus size (100,000 and 1,000,000 pages by
// default) it opens an embedded store holding a synthetic corpus of forum and
// market pages with planted contacts (corpus.go), serves it with web.New on a
// loopback listener with the audit log on and a viewer token required, and
// runs one mix of queries two ways in the same run, interleaved: directly on
// the store (store/embedded Search and Findings) and over real HTTP through
// the API (/api/search, /api/findings), as the page and the CLI call it. It
// prints p50 and p99 per query class and overall for both, so the API's own
// cost (HTTP, authentication, the fsynced audit entry, JSON) is the
// difference.
//
// Building an index of a million pages takes a long time on a small machine,
// so each corpus is built once with the store's batched write path
// (PutFindings then PutDocuments, 5,000 pages a call) and cached under
// -data (bench-data/, ignored by git), keyed by the corpus version and size;
// a later run reuses it and prints how long the build took.
//
// Timings are reported, never judged. The command exits 1 only when
// something is wrong: a query fails, or the API and the store disagree on a
// result's total.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil"
	"vigil/cases/audit"
	"vigil/store/embedded"
	"vigil/web"
)

func main() {
	data := flag.String("data", "bench-data", "directory of the cached indexes")
	sizes := flag.String("sizes", "100000,1000000", "corpus sizes (pages), comma-separated")
	perClass := flag.Int("queries", 100, "queries per class and size")
	flag.Parse()
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 100 {
			fmt.Fprintf(os.Stderr, "search: -sizes: %q is not a page count of at least 100\n", f)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	if *perClass < 1 {
		fmt.Fprintln(os.Stderr, "search: -queries must be at least 1")
		os.Exit(2)
	}
	ctx := context.Background()
	for _, n := range ns {
		rep, err := run(ctx, *data, n, *perClass, os.Stdout)
		if err != nil {
			fmt.Fprintf(os.Stderr, "search: %d pages: %v\n", n, err)
			os.Exit(1)
		}
		rep.print(os.Stdout)
	}
}

// built is the marker of a complete cached index.
type built struct {
	Version  string  `json:"version"`
	Pages    int     `json:"pages"`
	Findings int     `json:"findings"`
	Seconds  float64 `json:"build_seconds"`
	At       string  `json:"built_at"`
}

const buildBatch = 5000

// ensureIndex opens the cached index of n pages under data, building it
// first when it is missing or incomplete.
func ensureIndex(ctx context.Context, data string, n int, log io.Writer) (*embedded.Store, built, bool, error) {
	dir := filepath.Join(data, fmt.Sprintf("%s-%d", corpusVersion, n))
	marker := filepath.Join(dir, "built.json")
	var b built
	if raw, err := os.ReadFile(marker); err == nil {
		if err := json.Unmarshal(raw, &b); err == nil && b.Version == corpusVersion && b.Pages == n {
			st, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store")})
			return st, b, true, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, b, false, err
	}
	// Missing or a build that did not finish: start again.
	if err := os.RemoveAll(dir); err != nil {
		return nil, b, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, b, false, err
	}
	st, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store")})
	if err != nil {
		return nil, b, false, err
	}
	c := newCorpus(n)
	start := time.Now()
	type batch struct {
		docs     []vigil.Document
		findings []vigil.Finding
	}
	batches := make(chan batch, 2)
	go func() { // generate the next batch while the store indexes this one
		defer close(batches)
		for from := 0; from < n; from += buildBatch {
			var bt batch
			for k := from; k < min(n, from+buildBatch); k++ {
				d, fs := c.page(k)
				bt.docs = append(bt.docs, d)
				bt.findings = append(bt.findings, fs...)
			}
			batches <- bt
		}
	}()
	done, findings := 0, 0
	for bt := range batches {
		// Findings first: the store records each page's contact kinds, so
		// the page is indexed once, with its kinds, by PutDocuments.
		if err := st.PutFindings(ctx, bt.findings); err != nil {
			st.Close()
			return nil, b, false, err
		}
		if err := st.PutDocuments(ctx, bt.docs); err != nil {
			st.Close()
			return nil, b, false, err
		}
		done += len(bt.docs)
		findings += len(bt.findings)
		if done%100000 == 0 || done == n {
			el := time.Since(start)
			fmt.Fprintf(log, "  built %d/%d pages, %d findings in %v (%.0f pages/s)\n", done, n, findings, el.Round(time.Second), float64(done)/el.Seconds())
		}
	}
	b = built{Version: corpusVersion, Pages: n, Findings: findings, Seconds: time.Since(start).Seconds(), At: time.Now().UTC().Format(time.RFC3339)}
	raw, _ := json.Marshal(b)
	if err := os.WriteFile(marker, raw, 0o600); err != nil {
		st.Close()
		return nil, b, false, err
	}
	return st, b, false, nil
}

// query is one benchmark query: a search or a contact lookup, the same on
// both paths.
type query struct {
	class    string
	search   *vigil.Query
	findings *vigil.FindingQuery
}

// path is the API request for q.
func (q query) path() string {
	v := url.Values{}
	if q.findings != nil {
		v.Set("value", q.findings.Value)
		return "/api/findings?" + v.Encode()
	}
	s := q.search
	for k, x := range map[string]string{"q": s.Text, "site": s.Site, "kind": string(s.Kind)} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return "/api/search?" + v.Encode()
}

// classes are the query classes in report order.
var classes = []string{"word", "two words", "phrase", "contact", "site filter", "kind filter", "facets only"}

// queries builds the mix: perClass queries of each class, shuffled, drawn
// from the corpus so that phrases and contacts exist in it.
func queries(c *corpus, perClass int) []query {
	r := rand.New(rand.NewPCG(11, uint64(c.n)))
	kinds := []vigil.Kind{vigil.KindPhone, vigil.KindEmail, vigil.KindTelegram}
	var out []query
	for range perClass {
		out = append(out,
			query{class: "word", search: &vigil.Query{Text: midWord(r)}},
			query{class: "two words", search: &vigil.Query{Text: midWord(r) + " " + vocab[30+r.IntN(len(vocab)-30)]}},
			query{class: "phrase", search: &vigil.Query{Text: `"` + phraseFrom(c, r) + `"`}},
			query{class: "contact", findings: &vigil.FindingQuery{Value: contactFrom(c, r)}},
			query{class: "site filter", search: &vigil.Query{Text: midWord(r), Site: c.sites[zipf(r, len(c.sites), 1.05)]}},
			query{class: "kind filter", search: &vigil.Query{Text: midWord(r), Kind: kinds[r.IntN(len(kinds))]}},
		)
		// Facets only: no text, a filter, and the site and kind facet counts
		// over everything it matches (the page's first view of a site or kind).
		fq := &vigil.Query{Site: c.sites[zipf(r, len(c.sites), 1.05)]}
		if r.IntN(2) == 0 {
			fq = &vigil.Query{Kind: kinds[r.IntN(len(kinds))]}
		}
		out = append(out, query{class: "facets only", search: fq})
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// midWord is a word of middling frequency: neither "the" nor the rarest.
func midWord(r *rand.Rand) string { return vocab[10+r.IntN(min(300, len(vocab)-10))] }

// contactFrom is a contact of a random page that has one: contacts weighted
// by how often they appear, as investigators pivot on the ones they see.
func contactFrom(c *corpus, r *rand.Rand) string {
	for {
		if _, fs := c.page(r.IntN(c.n)); len(fs) > 0 {
			return fs[r.IntN(len(fs))].Value
		}
	}
}

// phraseFrom is two or three adjacent words of a random page's text.
func phraseFrom(c *corpus, r *rand.Rand) string {
	d, _ := c.page(r.IntN(c.n))
	words := strings.Fields(strings.Map(func(x rune) rune {
		if strings.ContainsRune(".!?,:", x) {
			return ' '
		}
		return x
	}, d.Text))
	n := 2 + r.IntN(2)
	for {
		i := r.IntN(max(1, len(words)-n))
		// Only vocabulary words: not a contact, a number or a city split
		// into tokens the phrase would not match as written.
		if !slices.ContainsFunc(words[i:i+n], func(w string) bool { return !slices.Contains(vocab, strings.ToLower(w)) }) {
			return strings.Join(words[i:i+n], " ")
		}
	}
}

// report is the figures of one corpus size.
type report struct {
	pages, findings int
	buildSeconds    float64
	cached          bool
	diskMB          float64
	audited         int
	direct, api     map[string][]time.Duration
	zeroHits        map[string]int
}

func run(ctx context.Context, data string, n, perClass int, log io.Writer) (*report, error) {
	fmt.Fprintf(log, "search latency at %d pages: opening or building the index under %s\n", n, data)
	st, b, cached, err := ensureIndex(ctx, data, n, log)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	tmp, err := os.MkdirTemp("", "vigil-bench-search-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	alog, err := audit.Open(filepath.Join(tmp, "audit.log"))
	if err != nil {
		return nil, err
	}
	defer alog.Close()
	tokens, err := web.OpenTokens(filepath.Join(tmp, "tokens.json"))
	if err != nil {
		return nil, err
	}
	token, _, err := tokens.Create("bench", web.RoleViewer, time.Hour)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: web.New(web.Config{Store: st, Audit: alog, Tokens: tokens, RequireToken: true}), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: time.Minute}

	c := newCorpus(n)
	qs := queries(c, perClass)
	rep := &report{pages: b.Pages, findings: b.Findings, buildSeconds: b.Seconds, cached: cached,
		diskMB: float64(diskBytes(filepath.Join(data, fmt.Sprintf("%s-%d", corpusVersion, n)))) / (1 << 20),
		direct: map[string][]time.Duration{}, api: map[string][]time.Duration{}, zeroHits: map[string]int{}}
	// Warm-up: the first queries after opening read the index from disk.
	for _, q := range qs[:min(len(qs), 20)] {
		if _, err := direct(ctx, st, q); err != nil {
			return nil, err
		}
		if _, err := overAPI(client, base, token, q); err != nil {
			return nil, err
		}
	}
	for i, q := range qs {
		var dTotal, aTotal int
		var dDur, aDur time.Duration
		for _, first := range []bool{i%2 == 0, i%2 != 0} { // alternate which path goes first
			t := time.Now()
			if first {
				if dTotal, err = direct(ctx, st, q); err != nil {
					return nil, fmt.Errorf("store %s: %w", q.path(), err)
				}
				dDur = time.Since(t)
			} else {
				if aTotal, err = overAPI(client, base, token, q); err != nil {
					return nil, fmt.Errorf("API %s: %w", q.path(), err)
				}
				aDur = time.Since(t)
			}
		}
		if dTotal != aTotal {
			return nil, fmt.Errorf("%s: the store found %d, the API %d", q.path(), dTotal, aTotal)
		}
		if dTotal == 0 {
			rep.zeroHits[q.class]++
		}
		rep.direct[q.class] = append(rep.direct[q.class], dDur)
		rep.api[q.class] = append(rep.api[q.class], aDur)
	}
	entries, total, err := alog.Search(audit.Filter{User: "bench", Limit: 1})
	if err != nil || len(entries) == 0 {
		return nil, fmt.Errorf("the audit log holds no entry of the benchmark's user: %v", err)
	}
	rep.audited = total
	return rep, nil
}

func direct(ctx context.Context, st *embedded.Store, q query) (int, error) {
	if q.findings != nil {
		res, err := st.Findings(ctx, *q.findings)
		return res.Total, err
	}
	res, err := st.Search(ctx, *q.search)
	return res.Total, err
}

// overAPI runs q through the API and returns the result's total; the time
// includes reading and decoding the whole response.
func overAPI(client *http.Client, base, token string, q query) (int, error) {
	req, err := http.NewRequest("GET", base+q.path(), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", resp.Status, body)
	}
	var res struct {
		Total int `json:"total"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return 0, err
	}
	return res.Total, nil
}

func (r *report) print(w io.Writer) {
	how := "built in this run"
	if r.cached {
		how = "cached; it was built"
	}
	fmt.Fprintf(w, "\n%d pages, %d findings (embedded store, %.0f MiB on disk; %s in %v)\n", r.pages, r.findings, r.diskMB, how,
		time.Duration(r.buildSeconds*float64(time.Second)).Round(time.Second))
	fmt.Fprintf(w, "API: web.New over HTTP on 127.0.0.1, viewer token, fsynced audit log (%d entries written)\n", r.audited)
	fmt.Fprintf(w, "%-12s %5s %6s | %11s %11s | %11s %11s\n", "class", "n", "0 hits", "store p50", "store p99", "API p50", "API p99")
	var allD, allA []time.Duration
	for _, c := range classes {
		d, a := r.direct[c], r.api[c]
		allD, allA = append(allD, d...), append(allA, a...)
		fmt.Fprintf(w, "%-12s %5d %6d | %11s %11s | %11s %11s\n", c, len(d), r.zeroHits[c], ms(pct(d, 50)), ms(pct(d, 99)), ms(pct(a, 50)), ms(pct(a, 99)))
	}
	fmt.Fprintf(w, "%-12s %5d %6s | %11s %11s | %11s %11s\n\n", "all", len(allD), "", ms(pct(allD, 50)), ms(pct(allD, 99)), ms(pct(allA, 50)), ms(pct(allA, 99)))
}

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(len(s)-1, max(0, i-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func diskBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
