// Package web is Vigil's HTTP edge: the JSON API that the CLI and the web
// page use, and the investigator's web page. It authenticates requests,
// records every search, view and crawl change in the audit log, translates
// error codes to HTTP statuses once, and treats all crawled content as
// hostile (escaped by html/template, strict Content-Security-Policy, raw
// captures served only as downloads).
package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"vigil"
	"vigil/audit"
)

// Auditor records audited actions. *audit.Log implements it.
type Auditor interface {
	Record(e audit.Entry) error
}

// Config wires the server. Store, Crawls and Audit are required.
type Config struct {
	Store    vigil.Store
	Captures vigil.CaptureStore // optional: raw capture downloads
	Crawls   vigil.CrawlService
	Audit    Auditor
	// Token, when set, is required as "Authorization: Bearer TOKEN" on every
	// API request. Serve refuses a non-loopback address without one.
	Token  string
	Logger *slog.Logger
}

// Server is the HTTP handler of the API and page.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the handler.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.routes()
	return s
}

// CheckListen refuses to expose the API beyond loopback without a token.
func CheckListen(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if token == "" {
		return fmt.Errorf("refusing to listen on %s without an API token: set VIGIL_TOKEN or listen on 127.0.0.1", addr)
	}
	return nil
}

// maxBody bounds JSON request bodies.
const maxBody = 1 << 20

func (s *Server) routes() {
	s.mux.HandleFunc("GET /api/health", s.health)
	s.mux.HandleFunc("GET /api/stats", s.auth(s.stats))
	s.mux.HandleFunc("GET /api/search", s.auth(s.search))
	s.mux.HandleFunc("GET /api/findings", s.auth(s.findings))
	s.mux.HandleFunc("GET /api/documents/{id}", s.auth(s.document))
	s.mux.HandleFunc("GET /api/documents/{id}/capture", s.auth(s.capture))
	s.mux.HandleFunc("POST /api/crawls", s.auth(s.startCrawl))
	s.mux.HandleFunc("GET /api/crawls", s.auth(s.listCrawls))
	s.mux.HandleFunc("GET /api/crawls/{id}", s.auth(s.getCrawl))
	s.mux.HandleFunc("POST /api/crawls/{id}/{command}", s.auth(s.controlCrawl))
	s.pageRoutes()
}

// ServeHTTP sets the security headers every response carries and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

type userKey struct{}

// auth checks the token (when configured) and puts the user in the context.
func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user := "local"
		if s.cfg.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) != 1 {
				writeError(w, vigil.Errorf(vigil.EUNAUTHORIZED, "missing or wrong API token: send Authorization: Bearer $VIGIL_TOKEN"))
				return
			}
			user = "token"
		}
		next(w, r.WithContext(context.WithValue(r.Context(), userKey{}, user)))
	}
}

func userOf(r *http.Request) string {
	u, _ := r.Context().Value(userKey{}).(string)
	if u == "" {
		return "anonymous"
	}
	return u
}

// record writes an audit entry. Failing to audit fails the request: an
// unaudited search must not happen.
func (s *Server) record(r *http.Request, action, caseID string, query map[string]string, result string) error {
	err := s.cfg.Audit.Record(audit.Entry{User: userOf(r), Action: action, CaseID: caseID, Query: query, Result: result})
	if err != nil {
		s.cfg.Logger.Error("audit log write failed", "error", err)
		return vigil.Errorf(vigil.EUNAVAILABLE, "the audit log cannot be written; refusing to answer unaudited")
	}
	return nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// ErrorResponse is the body of every API error.
type ErrorResponse struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

var codeStatus = map[string]int{
	vigil.ECONFLICT:     http.StatusConflict,
	vigil.EINVALID:      http.StatusBadRequest,
	vigil.ENOTFOUND:     http.StatusNotFound,
	vigil.EUNAUTHORIZED: http.StatusUnauthorized,
	vigil.EFORBIDDEN:    http.StatusForbidden,
	vigil.EUNAVAILABLE:  http.StatusServiceUnavailable,
	vigil.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	vigil.EINTERNAL:     http.StatusInternalServerError,
}

func writeError(w http.ResponseWriter, err error) {
	code := vigil.ErrorCode(err)
	status, ok := codeStatus[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, ErrorResponse{Error: vigil.ErrorMessage(err), Code: code})
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return vigil.Errorf(vigil.ETOOLARGE, "request body over %d bytes", maxBody)
		}
		return vigil.Errorf(vigil.EINVALID, "malformed JSON body: %v", err)
	}
	return nil
}

// requestTimeout bounds how long one API call may take.
const requestTimeout = 30 * time.Second
