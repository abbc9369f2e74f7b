package web

import (
	_ "embed"
	"net/http"
	"strings"
	"time"

	"vigil"
	"vigil/cases/audit"
)

//go:embed openapi.json
var openapiSpec []byte

// openapi serves the OpenAPI 3 description of this API.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(openapiSpec)
}

// AuditResponse is one page of audit entries, newest first.
type AuditResponse struct {
	Total   int           `json:"total"`
	Entries []audit.Entry `json:"entries"`
}

func parseAuditFilter(r *http.Request) (audit.Filter, error) {
	v := r.URL.Query()
	f := audit.Filter{User: v.Get("user"), Action: v.Get("action"), Text: strings.TrimSpace(v.Get("q"))}
	var err error
	if f.Offset, err = parseInt(v.Get("offset"), 0, 10000000); err != nil {
		return f, vigil.Errorf(vigil.EINVALID, "offset: %v", err)
	}
	if f.Limit, err = parseInt(v.Get("limit"), 0, 1000); err != nil {
		return f, vigil.Errorf(vigil.EINVALID, "limit: %v", err)
	}
	if len(f.Text) > 1000 || len(f.User) > 200 || len(f.Action) > 200 {
		return f, vigil.Errorf(vigil.EINVALID, "audit filter too long")
	}
	return f, nil
}

// doAuditSearch searches the audit log; the search itself is audited.
func (s *Server) doAuditSearch(r *http.Request, f audit.Filter) (AuditResponse, error) {
	if err := s.record(r, "audit.search", "", queryMap(map[string]string{"user": f.User, "action": f.Action, "q": f.Text}), ""); err != nil {
		return AuditResponse{}, err
	}
	entries, total, err := s.cfg.Audit.Search(f)
	if err != nil {
		s.cfg.Logger.Error("audit log search", "error", err)
		return AuditResponse{}, vigil.Errorf(vigil.EUNAVAILABLE, "the audit log cannot be read")
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	return AuditResponse{Total: total, Entries: entries}, nil
}

func (s *Server) auditSearch(w http.ResponseWriter, r *http.Request) {
	f, err := parseAuditFilter(r)
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.doAuditSearch(r, f)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) tokenStore() (*Tokens, error) {
	if s.cfg.Tokens == nil {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "this server has no token store")
	}
	return s.cfg.Tokens, nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.tokenStore()
	if err != nil {
		writeError(w, err)
		return
	}
	list, err := ts.List()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// TokenRequest asks for a new token.
type TokenRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// Expires is a Go duration ("720h"): empty means DefaultTokenTTL, "0"
	// never.
	Expires string `json:"expires,omitempty"`
}

// TokenResponse is a new token: shown once, never stored.
type TokenResponse struct {
	Token string      `json:"token"`
	Info  TokenRecord `json:"info"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	ts, err := s.tokenStore()
	if err != nil {
		writeError(w, err)
		return
	}
	var req TokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	role, err := ParseRole(req.Role)
	if err != nil {
		writeError(w, err)
		return
	}
	ttl := DefaultTokenTTL
	if req.Expires != "" {
		if ttl, err = time.ParseDuration(req.Expires); err != nil || ttl < 0 {
			writeError(w, vigil.Errorf(vigil.EINVALID, "expires %q is not a duration such as 720h (0: never)", req.Expires))
			return
		}
	}
	token, rec, err := ts.Create(req.Name, role, ttl)
	outcome := "created"
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "token.create", "", map[string]string{"name": rec.Name, "role": role.String()}, outcome); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, TokenResponse{Token: token, Info: rec})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	ts, err := s.tokenStore()
	if err != nil {
		writeError(w, err)
		return
	}
	name := r.PathValue("name")
	err = ts.Revoke(name)
	outcome := "revoked"
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "token.revoke", "", map[string]string{"name": name}, outcome); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": name, "revoked": "true"})
}
