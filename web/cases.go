package web

import (
	"net/http"

	"vigil"
)

// caseRoutes registers the case API: listing needs a viewer, creating an
// investigator, purging an admin (routeRoles). Without Config.Cases every
// case route answers 503.
func (s *Server) caseRoutes() {
	s.mux.HandleFunc("GET /api/cases", s.auth(s.listCases))
	s.mux.HandleFunc("POST /api/cases", s.auth(s.createCase))
	s.mux.HandleFunc("GET /api/cases/{id}", s.auth(s.getCase))
	s.mux.HandleFunc("POST /api/cases/{id}/purge", s.auth(s.purgeCase))
}

func (s *Server) cases() (vigil.CaseService, error) {
	if s.cfg.Cases == nil {
		return nil, vigil.Errorf(vigil.EUNAVAILABLE, "this server keeps no case registry")
	}
	return s.cfg.Cases, nil
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cases()
	if err != nil {
		writeError(w, err)
		return
	}
	list, err := cs.Cases(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	if list == nil {
		list = []vigil.Case{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cases()
	if err != nil {
		writeError(w, err)
		return
	}
	c, err := cs.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cases()
	if err != nil {
		writeError(w, err)
		return
	}
	var req vigil.CaseRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	c, err := cs.CreateCase(r.Context(), req, userOf(r))
	outcome := "created, expires " + c.ExpiresAt.Format("2006-01-02T15:04:05Z07:00")
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "case.create", req.ID, map[string]string{"retention": req.Retention, "authority": req.Authority}, outcome); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// purgeCase purges a case now; the case service records the purge (or its
// failure) in the audit log under the request's user.
func (s *Server) purgeCase(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cases()
	if err != nil {
		writeError(w, err)
		return
	}
	rep, err := cs.PurgeCase(r.Context(), r.PathValue("id"), userOf(r))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
