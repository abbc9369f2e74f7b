package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil"
)

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Store.Stats(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// parseQuery reads a search query from URL parameters.
func parseQuery(v url.Values) (vigil.Query, error) {
	q := vigil.Query{
		Text:    strings.TrimSpace(v.Get("q")),
		Site:    v.Get("site"),
		Kind:    vigil.Kind(strings.ToLower(v.Get("kind"))),
		CrawlID: v.Get("crawl"),
		CaseID:  v.Get("case"),
	}
	var err error
	if q.From, err = parseTime(v.Get("from")); err != nil {
		return q, vigil.Errorf(vigil.EINVALID, "from: %v", err)
	}
	if q.To, err = parseTime(v.Get("to")); err != nil {
		return q, vigil.Errorf(vigil.EINVALID, "to: %v", err)
	}
	if len(v.Get("to")) == len("2006-01-02") {
		q.To = q.To.AddDate(0, 0, 1) // a date includes its whole day
	}
	if q.Offset, err = parseInt(v.Get("offset"), 0, 100000); err != nil {
		return q, vigil.Errorf(vigil.EINVALID, "offset: %v", err)
	}
	if q.Limit, err = parseInt(v.Get("limit"), 0, vigil.MaxSearchLimit); err != nil {
		return q, vigil.Errorf(vigil.EINVALID, "limit: %v", err)
	}
	if len(q.Text) > 1000 {
		return q, vigil.Errorf(vigil.EINVALID, "query longer than 1000 characters")
	}
	if q.Kind != "" && !validKind(q.Kind) {
		return q, vigil.Errorf(vigil.EINVALID, "unknown contact kind %q", q.Kind)
	}
	if !utf8.ValidString(q.Text) || !utf8.ValidString(q.Site) {
		return q, vigil.Errorf(vigil.EINVALID, "query is not valid UTF-8")
	}
	return q, nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (use 2006-01-02 or RFC 3339)", s)
}

func parseInt(s string, lo, hi int) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a number from %d to %d", s, lo, hi)
	}
	return n, nil
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.doSearch(r, q)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// doSearch audits and runs a search; the page and the API share it.
func (s *Server) doSearch(r *http.Request, q vigil.Query) (vigil.SearchResult, error) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	res, err := s.cfg.Store.Search(ctx, q)
	outcome := fmt.Sprintf("%d hits", res.Total)
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "search", q.CaseID, queryMap(map[string]string{
		"q": q.Text, "site": q.Site, "kind": string(q.Kind), "crawl": q.CrawlID,
	}), outcome); aerr != nil {
		return vigil.SearchResult{}, aerr
	}
	return res, err
}

func (s *Server) findings(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := vigil.FindingQuery{
		Kind: vigil.Kind(strings.ToLower(v.Get("kind"))), Value: strings.TrimSpace(v.Get("value")),
		Site: v.Get("site"), CrawlID: v.Get("crawl"), CaseID: v.Get("case"),
	}
	if q.Kind != "" && !validKind(q.Kind) {
		writeError(w, vigil.Errorf(vigil.EINVALID, "unknown contact kind %q", q.Kind))
		return
	}
	var err error
	if q.Offset, err = parseInt(v.Get("offset"), 0, 1000000); err != nil {
		writeError(w, vigil.Errorf(vigil.EINVALID, "offset: %v", err))
		return
	}
	if q.Limit, err = parseInt(v.Get("limit"), 0, vigil.MaxFindingLimit); err != nil {
		writeError(w, vigil.Errorf(vigil.EINVALID, "limit: %v", err))
		return
	}
	res, err := s.doFindings(r, q)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) doFindings(r *http.Request, q vigil.FindingQuery) (vigil.FindingResult, error) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	res, err := s.cfg.Store.Findings(ctx, q)
	outcome := fmt.Sprintf("%d findings", res.Total)
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "findings", q.CaseID, queryMap(map[string]string{
		"kind": string(q.Kind), "value": q.Value, "site": q.Site, "crawl": q.CrawlID,
	}), outcome); aerr != nil {
		return vigil.FindingResult{}, aerr
	}
	return res, err
}

// DocumentResponse is a document with its findings.
type DocumentResponse struct {
	Document vigil.Document  `json:"document"`
	Findings []vigil.Finding `json:"findings"`
}

func (s *Server) document(w http.ResponseWriter, r *http.Request) {
	res, err := s.doDocument(r, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) doDocument(r *http.Request, id string) (DocumentResponse, error) {
	if err := s.record(r, "document.view", "", map[string]string{"id": id}, ""); err != nil {
		return DocumentResponse{}, err
	}
	doc, err := s.cfg.Store.Document(r.Context(), id)
	if err != nil {
		return DocumentResponse{}, err
	}
	fs, err := s.cfg.Store.Findings(r.Context(), vigil.FindingQuery{DocumentID: id, Limit: 10000})
	if err != nil {
		return DocumentResponse{}, err
	}
	if fs.Findings == nil {
		fs.Findings = []vigil.Finding{}
	}
	return DocumentResponse{Document: doc, Findings: fs.Findings}, nil
}

// capture serves a raw capture as a download, never rendered: it is hostile.
func (s *Server) capture(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Captures == nil {
		writeError(w, vigil.Errorf(vigil.ENOTFOUND, "raw captures are not available on this server"))
		return
	}
	id := r.PathValue("id")
	if err := s.record(r, "capture.download", "", map[string]string{"id": id}, ""); err != nil {
		writeError(w, err)
		return
	}
	body, err := s.cfg.Captures.Capture(r.Context(), id)
	if err != nil {
		writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="capture-`+safeName(id)+`.bin"`)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

func (s *Server) startCrawl(w http.ResponseWriter, r *http.Request) {
	var req vigil.CrawlRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	var st vigil.CrawlStatus
	err := s.checkCrawlSecrets(r.Context(), req)
	if err == nil {
		st, err = s.cfg.Crawls.StartCrawl(r.Context(), req)
	}
	outcome := "started " + st.ID
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "crawl.start", req.CaseID, queryMap(map[string]string{
		"seeds": strings.Join(req.Seeds, " "), "max_pages": strconv.Itoa(req.MaxPages), "max_depth": strconv.Itoa(req.MaxDepth),
		"login": req.Login, "cookies": req.Cookies,
	}), outcome); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, st)
}

func (s *Server) listCrawls(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Crawls.Crawls(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	if list == nil {
		list = []vigil.CrawlStatus{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) getCrawl(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Crawls.Crawl(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) controlCrawl(w http.ResponseWriter, r *http.Request) {
	id, cmd := r.PathValue("id"), r.PathValue("command")
	err := s.cfg.Crawls.ControlCrawl(r.Context(), id, cmd)
	outcome := "ok"
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "crawl."+safeName(cmd), "", map[string]string{"id": id}, outcome); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "command": cmd})
}

// queryMap drops empty values.
func queryMap(m map[string]string) map[string]string {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

func itoa(n int) string { return strconv.Itoa(n) }
