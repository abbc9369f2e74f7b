package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"vigil"
)

// secretRoutes registers the secret store's API: investigators list the
// names crawls may use; only admins store and remove login recipes,
// cookie files and credentials (routeRoles). Content goes in, never out.
// Without Config.Secrets every route answers 503.
func (s *Server) secretRoutes() {
	s.mux.HandleFunc("GET /api/secrets", s.auth(s.listSecrets))
	s.mux.HandleFunc("PUT /api/secrets/{kind}/{name}", s.auth(s.putSecret))
	s.mux.HandleFunc("DELETE /api/secrets/{kind}/{name}", s.auth(s.removeSecret))
}

func (s *Server) secrets() (vigil.SecretStore, error) {
	if s.cfg.Secrets == nil {
		return nil, vigil.Errorf(vigil.EUNAVAILABLE, "this server keeps no secret store")
	}
	return s.cfg.Secrets, nil
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request) {
	st, err := s.secrets()
	if err != nil {
		writeError(w, err)
		return
	}
	list, err := st.Secrets(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	if list == nil {
		list = []vigil.SecretInfo{}
	}
	writeJSON(w, http.StatusOK, list)
}

// putSecret stores the request body (at most 1 MiB) as the secret named in
// the path; the audit entry names it, never its content.
func (s *Server) putSecret(w http.ResponseWriter, r *http.Request) {
	st, err := s.secrets()
	if err != nil {
		writeError(w, err)
		return
	}
	kind, name := r.PathValue("kind"), r.PathValue("name")
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var info vigil.SecretInfo
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		err = vigil.Errorf(vigil.ETOOLARGE, "a secret is at most %d bytes", maxBody)
	case err != nil:
		err = readError(err)
	default:
		var k vigil.SecretKind
		if k, err = vigil.ParseSecretKind(kind); err == nil {
			info, err = st.PutSecret(r.Context(), k, name, data)
		}
	}
	if !s.auditSecret(w, r, "secret.put", kind, name, strconv.Itoa(len(data))+" bytes", err) {
		return
	}
	writeJSON(w, http.StatusCreated, info)
}

func (s *Server) removeSecret(w http.ResponseWriter, r *http.Request) {
	st, err := s.secrets()
	if err != nil {
		writeError(w, err)
		return
	}
	kind, name := r.PathValue("kind"), r.PathValue("name")
	k, err := vigil.ParseSecretKind(kind)
	if err == nil {
		err = st.RemoveSecret(r.Context(), k, name)
	}
	if !s.auditSecret(w, r, "secret.remove", kind, name, "removed", err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"kind": kind, "name": name, "removed": "true"})
}

// auditSecret records a change of the secret store and answers the error,
// if any; it reports whether the caller should answer success.
func (s *Server) auditSecret(w http.ResponseWriter, r *http.Request, action, kind, name, ok string, err error) bool {
	outcome := ok
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, action, "", map[string]string{"kind": kind, "name": name}, outcome); aerr != nil {
		writeError(w, aerr)
		return false
	}
	if err != nil {
		writeError(w, err)
		return false
	}
	return true
}

// checkCrawlSecrets checks that the login recipe and cookie file a crawl
// request names are stored: a name that is not, or that is a path, is
// EINVALID (400) before any crawl starts.
func (s *Server) checkCrawlSecrets(ctx context.Context, req vigil.CrawlRequest) error {
	for _, ref := range []struct {
		field, name string
		kind        vigil.SecretKind
	}{{"login", req.Login, vigil.SecretLogin}, {"cookies", req.Cookies, vigil.SecretCookies}} {
		if ref.name == "" {
			continue
		}
		if err := vigil.CheckSecretName(ref.name); err != nil {
			return vigil.Errorf(vigil.EINVALID, "%s: %s", ref.field, vigil.ErrorMessage(err))
		}
		if s.cfg.Secrets == nil {
			return vigil.Errorf(vigil.EINVALID, "%s: this server keeps no secret store", ref.field)
		}
		if _, err := s.cfg.Secrets.Secret(ctx, ref.kind, ref.name); err != nil {
			if vigil.ErrorCode(err) == vigil.ENOTFOUND {
				return vigil.Errorf(vigil.EINVALID, "%s: %s", ref.field, vigil.ErrorMessage(err))
			}
			return err
		}
	}
	return nil
}
