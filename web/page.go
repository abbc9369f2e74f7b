package web

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"vigil"
	"vigil/cases/audit"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// contactKinds is the kinds offered by the page's filters.
var contactKinds = []vigil.Kind{vigil.KindEmail, vigil.KindPhone, vigil.KindWhatsApp, vigil.KindTelegram,
	vigil.KindSignal, vigil.KindSession, vigil.KindWickr, vigil.KindDiscord, vigil.KindSnapchat, vigil.KindKik, vigil.KindWeChat,
	vigil.KindOnion, vigil.KindBTC, vigil.KindETH, vigil.KindXMR, vigil.KindTRX, vigil.KindPGP}

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"kinds":     func() []vigil.Kind { return contactKinds },
	"highlight": highlight,
	"date":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"firstDate": func(ts []time.Time) string {
		if len(ts) == 0 {
			return ""
		}
		return ts[0].UTC().Format("2006-01-02 15:04 UTC")
	},
	"goURL": func(u string) string { return "/go?url=" + url.QueryEscape(u) },
	"contactURL": func(k vigil.Kind, v string) string {
		return "/contact?" + url.Values{"kind": {string(k)}, "value": {v}}.Encode()
	},
}).ParseFS(templateFS, "templates/*.html"))

func (s *Server) pageRoutes() {
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.auth(s.pageSearch))
	s.mux.HandleFunc("GET /contact", s.auth(s.pageContact))
	s.mux.HandleFunc("GET /doc/{id}", s.auth(s.pageDocument))
	s.mux.HandleFunc("GET /go", s.auth(s.pageGo))
	s.mux.HandleFunc("GET /crawls", s.auth(s.pageCrawls))
	s.mux.HandleFunc("GET /match", s.auth(s.pageMatch))
	s.mux.HandleFunc("GET /alerts", s.auth(s.pageAlerts))
	s.mux.HandleFunc("GET /audit", s.auth(s.pageAudit))
	s.mux.HandleFunc("GET /api-docs", s.auth(s.pageAPIDocs))
	s.mux.HandleFunc("GET /login", s.pageLogin)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("POST /logout", s.logout)
}

// view is what every page template gets: the signed-in principal, the
// search box's text, and the page's own data.
type view struct {
	User  Principal
	Q     string
	Page  string // names the page for static/app.js (body data-page)
	Error string
	Data  any
}

func (v view) Can(role string) bool {
	r, err := ParseRole(role)
	return err == nil && v.User.Role >= r
}

type searchData struct {
	Query  vigil.Query
	From   string
	To     string
	Result *vigil.SearchResult
	Hits   []hitView
	Facets []facetView
	Prev   string
	Next   string
	// Contacts is the contacts whose normalised value is the query itself
	// (one word), with how often each appears: the way into a pivot.
	Contacts []contactMatch
}

type contactMatch struct {
	Kind  vigil.Kind
	Value string
	Count int
}

type hitView struct {
	vigil.SearchHit
	Snippet template.HTML
	Kinds   []vigil.Kind
}

type facetView struct {
	Name  string
	Terms []facetTermView
}

type facetTermView struct {
	Term   string
	Count  int
	Href   string
	Active bool
}

func (s *Server) pageSearch(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	v := view{User: principalOf(r), Page: "search"}
	d := searchData{From: params.Get("from"), To: params.Get("to")}
	q, err := parseQuery(params)
	d.Query, v.Q = q, q.Text
	status := http.StatusOK
	switch {
	case err != nil:
		v.Error, status = vigil.ErrorMessage(err), http.StatusBadRequest
	case params.Has("q") || q.Site != "" || q.Kind != "":
		res, err := s.doSearch(r, q)
		if err != nil {
			v.Error, status = vigil.ErrorMessage(err), statusOf(err)
			break
		}
		d.Result = &res
		d.Contacts = s.contactMatches(r, q.Text)
		words := queryWords(q.Text)
		for _, h := range res.Hits {
			hv := hitView{SearchHit: h}
			needles := slices.Clone(words)
			fs, err := s.cfg.Store.Findings(r.Context(), vigil.FindingQuery{DocumentID: h.Document.ID, Limit: 200})
			if err == nil {
				for _, f := range fs.Findings {
					needles = append(needles, needlesFor(f.Kind, f.Value)...)
					if !slices.Contains(hv.Kinds, f.Kind) {
						hv.Kinds = append(hv.Kinds, f.Kind)
					}
				}
			}
			hv.Snippet = highlight(h.Snippet, needles...)
			d.Hits = append(d.Hits, hv)
		}
		for _, name := range []string{"site", "kind"} {
			fv := facetView{Name: name}
			for _, t := range res.Facets[name] {
				p := cloneValues(params)
				p.Del("offset")
				active := p.Get(name) == t.Term
				if active {
					p.Del(name)
				} else {
					p.Set(name, t.Term)
				}
				fv.Terms = append(fv.Terms, facetTermView{Term: t.Term, Count: t.Count, Href: "/?" + p.Encode(), Active: active})
			}
			d.Facets = append(d.Facets, fv)
		}
		limit := q.Limit
		if limit == 0 {
			limit = 20
		}
		if q.Offset > 0 {
			p := cloneValues(params)
			p.Set("offset", itoa(max(0, q.Offset-limit)))
			d.Prev = "/?" + p.Encode()
		}
		if q.Offset+limit < res.Total {
			p := cloneValues(params)
			p.Set("offset", itoa(q.Offset+limit))
			d.Next = "/?" + p.Encode()
		}
	}
	v.Data = d
	render(w, status, "search.html", v)
}

// contactMatches looks a one-word query up as a contact value, as written
// and in lower case. The lookup is part of the audited search.
func (s *Server) contactMatches(r *http.Request, text string) []contactMatch {
	if text == "" || strings.ContainsAny(text, " \t\"") || len(text) > 200 {
		return nil
	}
	counts := map[contactMatch]int{}
	var order []contactMatch
	for _, v := range []string{text, strings.ToLower(text), strings.ToUpper(text)} {
		res, err := s.cfg.Store.Findings(r.Context(), vigil.FindingQuery{Value: v, Limit: 1000})
		if err != nil {
			continue
		}
		for _, f := range res.Findings {
			k := contactMatch{Kind: f.Kind, Value: f.Value}
			if _, ok := counts[k]; !ok {
				order = append(order, k)
			}
			counts[k]++
		}
		if len(order) > 0 {
			break
		}
	}
	for i := range order {
		order[i].Count = counts[order[i]]
	}
	return order
}

type contactData struct {
	Kind      string
	Value     string
	Result    *vigil.FindingResult
	Pages     []contactPage
	Sites     []contactSite
	First     time.Time
	Last      time.Time
	Truncated bool
}

type contactPage struct {
	vigil.Finding
	Context template.HTML
}

type contactSite struct {
	Site        string
	Pages       int
	First, Last time.Time
}

// pivotLimit bounds the findings one contact page lists.
const pivotLimit = 5000

func (s *Server) pageContact(w http.ResponseWriter, r *http.Request) {
	v := view{User: principalOf(r), Page: "contact"}
	d := contactData{Kind: strings.ToLower(r.URL.Query().Get("kind")), Value: strings.TrimSpace(r.URL.Query().Get("value"))}
	status := http.StatusOK
	if d.Kind != "" && !validKind(vigil.Kind(d.Kind)) {
		v.Error, status = "unknown contact kind "+d.Kind, http.StatusBadRequest
	} else if d.Value != "" {
		res, err := s.doFindings(r, vigil.FindingQuery{Kind: vigil.Kind(d.Kind), Value: d.Value, Limit: pivotLimit})
		if err != nil {
			v.Error, status = vigil.ErrorMessage(err), statusOf(err)
		} else {
			d.Result = &res
			d.Truncated = res.Total > len(res.Findings)
			sites := map[string]*contactSite{}
			seenPage := map[string]bool{}
			for _, f := range res.Findings {
				if d.First.IsZero() || f.CapturedAt.Before(d.First) {
					d.First = f.CapturedAt
				}
				if f.CapturedAt.After(d.Last) {
					d.Last = f.CapturedAt
				}
				cs := sites[f.Site]
				if cs == nil {
					cs = &contactSite{Site: f.Site, First: f.CapturedAt, Last: f.CapturedAt}
					sites[f.Site] = cs
				}
				cs.First = minTime(cs.First, f.CapturedAt)
				if f.CapturedAt.After(cs.Last) {
					cs.Last = f.CapturedAt
				}
				if seenPage[f.DocumentID] {
					continue // one row per page; the first finding gives the context
				}
				seenPage[f.DocumentID] = true
				cs.Pages++
				d.Pages = append(d.Pages, contactPage{Finding: f, Context: highlight(f.Snippet, needlesFor(f.Kind, f.Value)...)})
			}
			for _, cs := range sites {
				d.Sites = append(d.Sites, *cs)
			}
			sort.Slice(d.Sites, func(i, j int) bool {
				return d.Sites[i].Pages > d.Sites[j].Pages || d.Sites[i].Pages == d.Sites[j].Pages && d.Sites[i].Site < d.Sites[j].Site
			})
		}
	}
	v.Data = d
	render(w, status, "contact.html", v)
}

type documentData struct {
	Doc      DocumentResponse
	Text     template.HTML
	Findings []contactPage
}

func (s *Server) pageDocument(w http.ResponseWriter, r *http.Request) {
	v := view{User: principalOf(r), Page: "document"}
	res, err := s.doDocument(r, r.PathValue("id"))
	if err != nil {
		v.Error = vigil.ErrorMessage(err)
		render(w, statusOf(err), "document.html", v)
		return
	}
	d := documentData{Doc: res}
	var needles []string
	for _, f := range res.Findings {
		n := needlesFor(f.Kind, f.Value)
		needles = append(needles, n...)
		d.Findings = append(d.Findings, contactPage{Finding: f, Context: highlight(f.Snippet, n...)})
	}
	d.Text = highlight(res.Document.Text, needles...)
	v.Data = d
	render(w, http.StatusOK, "document.html", v)
}

// pageGo is the interstitial every crawled link goes through: it shows the
// URL as text, warns, and never redirects or loads it.
func (s *Server) pageGo(w http.ResponseWriter, r *http.Request) {
	v := view{User: principalOf(r), Page: "go"}
	raw := r.URL.Query().Get("url")
	if raw == "" || len(raw) > 8192 {
		v.Error = "no URL given, or a URL over 8 KiB"
		render(w, http.StatusBadRequest, "go.html", v)
		return
	}
	if err := s.record(r, "link.view", "", map[string]string{"url": raw}, ""); err != nil {
		v.Error = vigil.ErrorMessage(err)
		render(w, statusOf(err), "go.html", v)
		return
	}
	d := struct {
		URL, Host string
		Onion     bool
	}{URL: raw}
	if u, err := url.Parse(raw); err == nil {
		d.Host = u.Hostname()
		d.Onion = strings.HasSuffix(d.Host, ".onion")
	}
	v.Data = d
	render(w, http.StatusOK, "go.html", v)
}

type crawlsData struct {
	Crawls    []vigil.CrawlStatus
	Schedules []vigil.ScheduleStatus
	// SchedulesError says why schedules cannot be listed (no scheduler on
	// this server, or it cannot be reached); the crawls are still shown.
	SchedulesError string
}

// pageCrawls lists crawls and schedules; static/app.js refreshes both and
// sends the changes an investigator makes through the API (audited there).
func (s *Server) pageCrawls(w http.ResponseWriter, r *http.Request) {
	v := view{User: principalOf(r), Page: "crawls"}
	var d crawlsData
	var err error
	if d.Crawls, err = s.cfg.Crawls.Crawls(r.Context()); err != nil {
		v.Error = vigil.ErrorMessage(err)
	}
	sched, err := s.schedules()
	if err == nil {
		d.Schedules, err = sched.Schedules(r.Context())
	}
	if err != nil {
		d.SchedulesError = vigil.ErrorMessage(err)
	}
	v.Data = d
	render(w, http.StatusOK, "crawls.html", v)
}

func (s *Server) pageMatch(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, "match.html", view{User: principalOf(r), Page: "match"})
}

func (s *Server) pageAlerts(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, "alerts.html", view{User: principalOf(r), Page: "alerts"})
}

type auditData struct {
	Filter audit.Filter
	Result AuditResponse
}

func (s *Server) pageAudit(w http.ResponseWriter, r *http.Request) {
	v := view{User: principalOf(r), Page: "audit"}
	f, err := parseAuditFilter(r)
	d := auditData{Filter: f}
	status := http.StatusOK
	if err == nil {
		d.Result, err = s.doAuditSearch(r, f)
	}
	if err != nil {
		v.Error, status = vigil.ErrorMessage(err), statusOf(err)
	}
	v.Data = d
	render(w, status, "audit.html", v)
}

type apiOp struct {
	Method, Path, Summary, Role, Description string
	Params                                   []string
}

var apiOps = func() []apiOp {
	var spec struct {
		Paths map[string]map[string]struct {
			Summary     string `json:"summary"`
			Description string `json:"description"`
			Role        string `json:"x-vigil-role"`
			Parameters  []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapiSpec, &spec); err != nil {
		panic("web: openapi.json: " + err.Error())
	}
	var ops []apiOp
	for p, methods := range spec.Paths {
		for m, o := range methods {
			op := apiOp{Method: strings.ToUpper(m), Path: p, Summary: o.Summary, Role: o.Role, Description: o.Description}
			for _, prm := range o.Parameters {
				if prm.In == "query" {
					op.Params = append(op.Params, prm.Name)
				}
			}
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		return ops[i].Path < ops[j].Path || ops[i].Path == ops[j].Path && ops[i].Method < ops[j].Method
	})
	return ops
}()

func (s *Server) pageAPIDocs(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, "apidocs.html", view{User: principalOf(r), Page: "apidocs", Data: apiOps})
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, "login.html", view{Page: "login"})
}

// renderDenied answers a page request that failed authentication (the
// sign-in form) or authorisation.
func (s *Server) renderDenied(w http.ResponseWriter, r *http.Request, err error) {
	if vigil.ErrorCode(err) == vigil.EUNAUTHORIZED {
		render(w, http.StatusUnauthorized, "login.html", view{Page: "login", Error: vigil.ErrorMessage(err)})
		return
	}
	render(w, statusOf(err), "denied.html", view{Page: "denied", Error: vigil.ErrorMessage(err)})
}

func render(w http.ResponseWriter, status int, name string, v view) {
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, name, v); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func statusOf(err error) int {
	if st, ok := codeStatus[vigil.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// highlight escapes text and wraps each case-insensitive occurrence of a
// needle (plain strings, or "re:"-prefixed regular expressions) in <mark>.
// Escaping comes first: crawled text never reaches the page unescaped.
func highlight(text string, needles ...string) template.HTML {
	var parts []string
	for _, n := range needles {
		if re, ok := strings.CutPrefix(n, "re:"); ok {
			parts = append(parts, re)
		} else if n = strings.TrimSpace(n); len(n) >= 2 {
			parts = append(parts, regexp.QuoteMeta(n))
		}
	}
	if len(parts) == 0 || text == "" {
		return template.HTML(template.HTMLEscapeString(text))
	}
	sort.Slice(parts, func(i, j int) bool { return len(parts[i]) > len(parts[j]) })
	re, err := regexp.Compile("(?i)" + strings.Join(parts, "|"))
	if err != nil {
		return template.HTML(template.HTMLEscapeString(text))
	}
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringIndex(text, 1000) {
		if m[0] == m[1] {
			continue
		}
		b.WriteString(template.HTMLEscapeString(text[last:m[0]]))
		b.WriteString(`<mark>`)
		b.WriteString(template.HTMLEscapeString(text[m[0]:m[1]]))
		b.WriteString(`</mark>`)
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return template.HTML(b.String())
}

var digitSep = `[\s().\-]{0,3}`

// needlesFor is what to highlight for a finding: its value, and for phone
// numbers the national digits as they may be written (with separators,
// without the country code).
func needlesFor(k vigil.Kind, value string) []string {
	out := []string{value}
	if k == vigil.KindPhone || k == vigil.KindWhatsApp {
		digits := strings.TrimPrefix(value, "+")
		for cc := 1; cc <= 3 && len(digits)-cc >= 6; cc++ {
			d := digits[cc:]
			var p strings.Builder
			p.WriteString(`(?:\+?` + digits[:cc] + digitSep + `)?(?:0` + digitSep + `)?`)
			for i, c := range d {
				if i > 0 {
					p.WriteString(digitSep)
				}
				p.WriteRune(c)
			}
			out = append(out, "re:"+p.String())
		}
	}
	return out
}

// queryWords is the words and phrases of a search text, without operators.
func queryWords(text string) []string {
	var out []string
	for _, part := range strings.Split(text, `"`) {
		for _, w := range strings.Fields(part) {
			if !strings.HasPrefix(w, "-") {
				out = append(out, w)
			}
		}
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func validKind(k vigil.Kind) bool { return slices.Contains(contactKinds, k) }
