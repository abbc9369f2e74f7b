// Package web is Vigil's HTTP edge: the JSON API that the CLI and the web
// page use, and the investigator's web page. It authenticates requests,
// records every search, view and crawl change in the audit log, translates
// error codes to HTTP statuses once, and treats all crawled content as
// hostile (escaped by html/template, strict Content-Security-Policy, raw
// captures served only as downloads).
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"vigil"
	"vigil/cases/audit"
)

// Auditor records audited actions and lets an admin search them. *audit.Log
// implements it.
type Auditor interface {
	Record(e audit.Entry) error
	Search(f audit.Filter) ([]audit.Entry, int, error)
}

// Config wires the server. Store, Crawls and Audit are required.
type Config struct {
	Store    vigil.Store
	Captures vigil.CaptureStore // optional: raw capture downloads
	Crawls   vigil.CrawlService
	Audit    Auditor
	// Token, when set, is an admin token (user "token") accepted as
	// "Authorization: Bearer TOKEN", and makes a token required on every
	// request, as RequireToken does.
	Token string
	// Tokens is the token store of `vigil token create`; optional. Its
	// tokens are accepted as bearer tokens and sign in on the page; once it
	// holds one, a token is required on every request.
	Tokens *Tokens
	// RequireToken refuses requests without a token (401). Without it, and
	// while neither Token nor Tokens holds one, the server is open: a
	// request that sends no token is the user "local" with the admin role
	// (the default of a server bound to loopback), and only requests for
	// the Host 127.0.0.1, localhost or [::1] on Addr's port are answered.
	RequireToken bool
	// Addr is the address the server listens on (host:port), whose port an
	// open server's requests must name in their Host.
	Addr string
	// SecureCookies marks the page's session cookie Secure: set it unless
	// the server listens on loopback only and its public URL, if any, is
	// not https. A request over TLS gets a Secure cookie anyway.
	SecureCookies bool
	// BodyTimeout and UploadTimeout bound receiving a request body (0: the
	// package's BodyTimeout and UploadTimeout).
	BodyTimeout, UploadTimeout time.Duration
	Logger                     *slog.Logger
	// Matcher answers POST /api/match (web/match.go); optional: 503 without.
	Matcher PhotoMatcher
	// Watchlist serves /api/watchlists and /api/alerts; optional.
	Watchlist Watchlists
	// Cases serves /api/cases (web/cases.go); optional: 503 without.
	Cases vigil.CaseService
	// Images serves the image store to analysts (web/images.go); optional:
	// 404 without, as when images are not kept.
	Images ImageStore
	// Secrets serves /api/secrets (web/secrets.go) and is where the login
	// recipes and cookie files crawl requests name must be stored;
	// optional: without it, 503 and crawls that name one are refused.
	Secrets vigil.SecretStore
}

// Server is the HTTP handler of the API and page.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	cop      *http.CrossOriginProtection
	sessions *sessionStore
	fails    failureLimiter
}

// New returns the handler.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = BodyTimeout
	}
	if cfg.UploadTimeout <= 0 {
		cfg.UploadTimeout = UploadTimeout
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), cop: http.NewCrossOriginProtection(), sessions: newSessionStore()}
	s.routes()
	return s
}

// CheckListen refuses to expose the API beyond loopback unless tokens are
// configured (haveTokens: VIGIL_TOKEN is set or the token store holds one).
func CheckListen(addr string, haveTokens bool) error {
	loop, err := IsLoopback(addr)
	if err != nil {
		return err
	}
	if !loop && !haveTokens {
		return fmt.Errorf("refusing to listen on %s without API tokens: create one with `vigil token create --role admin`, set VIGIL_TOKEN, or listen on 127.0.0.1", addr)
	}
	return nil
}

// MinTokenLength is the least length of a VIGIL_TOKEN accepted by an API
// that listens beyond loopback.
const MinTokenLength = 32

// CheckToken refuses a VIGIL_TOKEN that is too weak for an API reachable
// from the network: shorter than MinTokenLength, made of fewer than 8
// distinct characters, or one short string repeated. The error never
// quotes the token.
func CheckToken(token string) error {
	distinct := map[rune]bool{}
	for _, r := range token {
		distinct[r] = true
	}
	periodic := false
	for p := 1; p <= len(token)/2 && !periodic; p++ {
		periodic = token[p:] == token[:len(token)-p]
	}
	switch {
	case len(token) < MinTokenLength:
		return fmt.Errorf("VIGIL_TOKEN is %d characters: an API listening beyond loopback needs at least %d random ones (e.g. openssl rand -base64 32)", len(token), MinTokenLength)
	case len(distinct) < 8 || periodic:
		return errors.New("VIGIL_TOKEN does not look random (too few distinct characters, or a repeated pattern): an API listening beyond loopback needs a random one (e.g. openssl rand -base64 32)")
	}
	return nil
}

// IsLoopback reports whether the host of the listen address addr is a
// loopback address or "localhost".
func IsLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

// maxBody bounds JSON request bodies.
const maxBody = 1 << 20

// MaxUpload bounds every request body, whatever the route: a request that
// declares a longer body is answered 413 before any handler runs, and a longer
// body sent without a length fails its handler's read. Handlers set tighter
// limits of their own (1 MiB for JSON, 20 MiB for a photo).
const MaxUpload = 64 << 20

func (s *Server) routes() {
	s.mux.HandleFunc("GET /api/health", s.health)
	s.mux.HandleFunc("GET /api/openapi.json", s.auth(s.openapi))
	s.mux.HandleFunc("GET /api/audit", s.auth(s.auditSearch))
	s.mux.HandleFunc("GET /api/tokens", s.auth(s.listTokens))
	s.mux.HandleFunc("POST /api/tokens", s.auth(s.createToken))
	s.mux.HandleFunc("DELETE /api/tokens/{name}", s.auth(s.revokeToken))
	s.mux.HandleFunc("GET /api/stats", s.auth(s.stats))
	s.mux.HandleFunc("GET /api/search", s.auth(s.search))
	s.mux.HandleFunc("GET /api/findings", s.auth(s.findings))
	s.mux.HandleFunc("GET /api/documents/{id}", s.auth(s.document))
	s.mux.HandleFunc("GET /api/documents/{id}/capture", s.auth(s.capture))
	s.mux.HandleFunc("POST /api/crawls", s.auth(s.startCrawl))
	s.mux.HandleFunc("GET /api/crawls", s.auth(s.listCrawls))
	s.mux.HandleFunc("GET /api/crawls/{id}", s.auth(s.getCrawl))
	s.mux.HandleFunc("POST /api/crawls/{id}/{command}", s.auth(s.controlCrawl))
	s.matchRoutes()
	s.scheduleRoutes()
	s.caseRoutes()
	s.imageRoutes()
	s.secretRoutes()
	s.pageRoutes()
}

// csp is the Content-Security-Policy of every response: only the page's own
// scripts, styles and API; no frames, no plugins, no foreign images.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP sets the security headers every response carries, refuses
// cross-origin browser requests that change state, requests of an open
// server for another Host (DNS rebinding) and oversized bodies, bounds the
// time a body may take, and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	if err := s.cop.Check(r); err != nil {
		writeError(w, vigil.Errorf(vigil.EFORBIDDEN, "cross-origin request refused"))
		return
	}
	if err := s.checkHost(r); err != nil {
		writeError(w, err)
		return
	}
	if r.ContentLength > MaxUpload {
		writeError(w, vigil.Errorf(vigil.ETOOLARGE, "request body of %d bytes is over the limit of %d bytes", r.ContentLength, MaxUpload))
		return
	}
	s.limitBody(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload)
	s.mux.ServeHTTP(w, r)
}

// routeRoles is the least role each route needs, by its mux pattern.
var routeRoles = map[string]Role{
	"GET /api/stats":                     RoleViewer,
	"GET /api/search":                    RoleViewer,
	"GET /api/findings":                  RoleViewer,
	"GET /api/documents/{id}":            RoleViewer,
	"GET /api/documents/{id}/capture":    RoleInvestigator,
	"POST /api/crawls":                   RoleInvestigator,
	"GET /api/crawls":                    RoleViewer,
	"GET /api/crawls/{id}":               RoleViewer,
	"POST /api/crawls/{id}/{command}":    RoleInvestigator,
	"GET /api/schedules":                 RoleViewer,
	"POST /api/schedules":                RoleInvestigator,
	"POST /api/schedules/{id}/{command}": RoleInvestigator,
	"DELETE /api/schedules/{id}":         RoleInvestigator,
	"GET /api/cases":                     RoleViewer,
	"GET /api/cases/{id}":                RoleViewer,
	"POST /api/cases":                    RoleInvestigator,
	"GET /api/openapi.json":              RoleViewer,
	"GET /api/images/{crawl}":            RoleAnalyst,
	"GET /api/images/{crawl}/{file}":     RoleAnalyst,
	"GET /api/secrets":                   RoleInvestigator,
	"PUT /api/secrets/{kind}/{name}":     RoleAdmin,
	"DELETE /api/secrets/{kind}/{name}":  RoleAdmin,
	"GET /api/audit":                     RoleAdmin,
	"GET /api/tokens":                    RoleAdmin,
	"POST /api/tokens":                   RoleAdmin,
	"DELETE /api/tokens/{name}":          RoleAdmin,
	"GET /{$}":                           RoleViewer,
	"GET /contact":                       RoleViewer,
	"GET /doc/{id}":                      RoleViewer,
	"GET /go":                            RoleViewer,
	"GET /crawls":                        RoleViewer,
	"GET /api-docs":                      RoleViewer,
	"GET /match":                         RoleAnalyst,
	"GET /alerts":                        RoleAnalyst,
	"GET /audit":                         RoleAdmin,
}

// RequiredRole is the least role the route with the given mux pattern needs.
// Photo match, watchlist and alert routes need an analyst; any other route
// not listed needs an admin, so a new route is closed until it is listed.
func RequiredRole(pattern string) Role {
	if r, ok := routeRoles[pattern]; ok {
		return r
	}
	for _, p := range []string{"/api/match", "/api/watchlists", "/api/alerts"} {
		if strings.Contains(pattern, p) {
			return RoleAnalyst
		}
	}
	return RoleAdmin
}

// auth authenticates the request (401 when the token is missing, unknown or
// expired), checks the route's role (403) and puts the principal in the
// context. Pages get an HTML answer, the API a JSON one.
func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err == nil {
			if need := RequiredRole(r.Pattern); p.Role < need {
				err = vigil.Errorf(vigil.EFORBIDDEN, "%s (role %s) may not do this: it needs the %s role", p.Name, p.Role, need)
			}
		}
		if err != nil {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeError(w, err)
			} else {
				s.renderDenied(w, r, err)
			}
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), userKey{}, p)))
	}
}

func principalOf(r *http.Request) Principal {
	p, _ := r.Context().Value(userKey{}).(Principal)
	return p
}

func userOf(r *http.Request) string {
	if u := principalOf(r).Name; u != "" {
		return u
	}
	return "anonymous"
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
	vigil.ETIMEOUT:      http.StatusRequestTimeout,
	vigil.ETOOMANY:      http.StatusTooManyRequests,
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

// retiredFields are request fields the API no longer accepts, with what to
// send instead.
var retiredFields = map[string]string{
	"login_file":  `"login_file" (a path on the server) is no longer accepted: name a login recipe an admin stored (GET /api/secrets) in "login"`,
	"cookie_file": `"cookie_file" (a path on the server) is no longer accepted: name a cookie file an admin stored (GET /api/secrets) in "cookies"`,
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return vigil.Errorf(vigil.ETOOLARGE, "request body over %d bytes", maxBody)
		}
		for field, why := range retiredFields {
			if strings.Contains(err.Error(), `unknown field "`+field+`"`) {
				return vigil.Errorf(vigil.EINVALID, "%s", why)
			}
		}
		if isNetError(err) {
			return readError(err)
		}
		return vigil.Errorf(vigil.EINVALID, "malformed JSON body: %v", err)
	}
	return nil
}

// readError is the error of a request body the connection failed to
// deliver: ETIMEOUT (408) when it did not arrive in time.
func readError(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return vigil.Errorf(vigil.ETIMEOUT, "the request body was not received in time")
	}
	return vigil.Errorf(vigil.EINVALID, "the request body could not be read")
}

// isNetError reports whether err comes from the connection, not the JSON.
func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// requestTimeout bounds how long one API call may take.
const requestTimeout = 30 * time.Second
