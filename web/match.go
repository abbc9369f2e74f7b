package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"vigil"
)

// Photo match, watchlist and alert API (Config.Matcher, Config.Watchlist):
//
//	POST /api/match        multipart field "image" → []vigil.ImageHit
//	GET  /api/watchlists   → []vigil.Watchlist
//	POST /api/watchlists   ?name=LIST, body CSV/TSV (or multipart field "file") → 201 vigil.WatchlistImport
//	GET  /api/alerts       ?limit=N → []vigil.Alert, newest first

// PhotoMatcher hashes a photo and searches the index; *match.Matcher
// implements it (see there for the errors).
type PhotoMatcher interface {
	Variants(data []byte) ([]vigil.QueryHash, error)
	MatchHashes(ctx context.Context, qs []vigil.QueryHash, opt vigil.MatchOptions) ([]vigil.ImageHit, error)
}

// Watchlists imports and lists watchlists and their alerts;
// *watchlist.DB implements it. ImportFile parses a watchlist file (CSV or
// TSV) and returns an EINVALID error for a malformed one.
type Watchlists interface {
	Lists() ([]vigil.Watchlist, error)
	ImportFile(name string, r io.Reader) (vigil.WatchlistImport, error)
	Alerts(limit int) ([]vigil.Alert, error)
}

// MaxPhotoBytes bounds an uploaded photo; a larger one is refused with 413.
const MaxPhotoBytes = 20 << 20

// multipartSlack is the room allowed for multipart headers and boundaries
// around the photo.
const multipartSlack = 64 << 10

// matchRoutes registers the routes above; routes calls it.
func (s *Server) matchRoutes() {
	s.mux.HandleFunc("POST /api/match", s.auth(s.matchPhoto))
	s.mux.HandleFunc("GET /api/watchlists", s.auth(s.listWatchlists))
	s.mux.HandleFunc("POST /api/watchlists", s.auth(s.importWatchlist))
	s.mux.HandleFunc("GET /api/alerts", s.auth(s.listAlerts))
}

// readPart returns the bytes of the multipart form field named field, read
// into memory (never to disk), at most limit bytes.
func readPart(w http.ResponseWriter, r *http.Request, field string, limit int64) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, vigil.Errorf(vigil.EINVALID, "send the file as multipart/form-data field %q: %v", field, err)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, vigil.Errorf(vigil.EINVALID, "no form field %q in the upload", field)
		}
		if err != nil {
			return nil, bodyError(err, limit)
		}
		if p.FormName() != field {
			p.Close()
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return nil, bodyError(err, limit)
		}
		if int64(len(data)) > limit {
			return nil, vigil.Errorf(vigil.ETOOLARGE, "the file is over %d MiB", limit>>20)
		}
		return data, nil
	}
}

func bodyError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return vigil.Errorf(vigil.ETOOLARGE, "the file is over %d MiB", limit>>20)
	}
	if isNetError(err) {
		return readError(err)
	}
	return vigil.Errorf(vigil.EINVALID, "malformed upload: %v", err)
}

// matchPhoto hashes the uploaded photo in memory, audits the query hashes
// (never the photo) and returns the hits. Query parameters: max_distance
// (PDQ radius, default 63), phash_distance (default 12), limit (default 100).
func (s *Server) matchPhoto(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Matcher == nil {
		writeError(w, vigil.Errorf(vigil.EUNAVAILABLE, "photo matching is not configured on this server"))
		return
	}
	v := r.URL.Query()
	var opt vigil.MatchOptions
	var err error
	if opt.PDQRadius, err = parseInt(v.Get("max_distance"), 0, 256); err != nil {
		writeError(w, vigil.Errorf(vigil.EINVALID, "max_distance: %v", err))
		return
	}
	if opt.PHashRadius, err = parseInt(v.Get("phash_distance"), 0, 64); err != nil {
		writeError(w, vigil.Errorf(vigil.EINVALID, "phash_distance: %v", err))
		return
	}
	if opt.Limit, err = parseInt(v.Get("limit"), 0, vigil.MaxImageLimit); err != nil {
		writeError(w, vigil.Errorf(vigil.EINVALID, "limit: %v", err))
		return
	}
	data, err := readPart(w, r, "image", MaxPhotoBytes)
	if err != nil {
		writeError(w, err)
		return
	}
	qs, err := s.cfg.Matcher.Variants(data)
	data = nil // the photo is dropped here; only its hashes go on
	if err != nil {
		if aerr := s.record(r, "match", v.Get("case"), map[string]string{"error": vigil.ErrorMessage(err)}, "error: "+vigil.ErrorMessage(err)); aerr != nil {
			err = aerr
		}
		writeError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	hits, err := s.cfg.Matcher.MatchHashes(ctx, qs, opt)
	outcome := matchOutcome(hits)
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "match", v.Get("case"), matchAudit(qs, opt), outcome); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, hits)
}

// matchAudit is the audit record of a match: the query image's own hashes
// (variant "original") and the radii.
func matchAudit(qs []vigil.QueryHash, opt vigil.MatchOptions) map[string]string {
	m := map[string]string{"variants": strconv.Itoa(len(qs))}
	for _, q := range qs {
		if q.Variant == "original" {
			m[q.Algorithm] = q.Value
		}
	}
	if opt.PDQRadius != 0 {
		m["max_distance"] = strconv.Itoa(opt.PDQRadius)
	}
	if opt.PHashRadius != 0 {
		m["phash_distance"] = strconv.Itoa(opt.PHashRadius)
	}
	return m
}

func matchOutcome(hits []vigil.ImageHit) string {
	n := 0
	for _, h := range hits {
		if h.Band == vigil.BandMatch {
			n++
		}
	}
	return fmt.Sprintf("%d hits, %d in the match band", len(hits), n)
}

func (s *Server) watchlistDB(w http.ResponseWriter) Watchlists {
	if s.cfg.Watchlist == nil {
		writeError(w, vigil.Errorf(vigil.EUNAVAILABLE, "watchlists are not configured on this server"))
	}
	return s.cfg.Watchlist
}

func (s *Server) listWatchlists(w http.ResponseWriter, r *http.Request) {
	db := s.watchlistDB(w)
	if db == nil {
		return
	}
	ls, err := db.Lists()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ls)
}

// importWatchlist imports the CSV or TSV body (or multipart field "file")
// into the list named by the name parameter.
func (s *Server) importWatchlist(w http.ResponseWriter, r *http.Request) {
	db := s.watchlistDB(w)
	if db == nil {
		return
	}
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	if name == "" || len(name) > 200 {
		writeError(w, vigil.Errorf(vigil.EINVALID, "name the watchlist: ?name=LIST (1 to 200 characters)"))
		return
	}
	var data []byte
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		data, err = readPart(w, r, "file", vigil.MaxWatchlistBytes)
	} else {
		data, err = io.ReadAll(http.MaxBytesReader(w, r.Body, vigil.MaxWatchlistBytes))
		if err != nil {
			err = bodyError(err, vigil.MaxWatchlistBytes)
		}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := db.ImportFile(name, bytes.NewReader(data))
	outcome := fmt.Sprintf("%d rows, %d added, %d updated", res.Rows, res.Added, res.Updated)
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "watchlist.import", r.URL.Query().Get("case"), map[string]string{"name": name}, outcome); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	db := s.watchlistDB(w)
	if db == nil {
		return
	}
	limit, err := parseInt(r.URL.Query().Get("limit"), 0, 10000)
	if err != nil {
		writeError(w, vigil.Errorf(vigil.EINVALID, "limit: %v", err))
		return
	}
	as, err := db.Alerts(limit)
	if err != nil {
		writeError(w, err)
		return
	}
	if aerr := s.record(r, "alerts.list", "", nil, fmt.Sprintf("%d alerts", len(as))); aerr != nil {
		writeError(w, aerr)
		return
	}
	if as == nil {
		as = []vigil.Alert{}
	}
	writeJSON(w, http.StatusOK, as)
}
