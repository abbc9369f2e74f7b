package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"

	"vigil"
	"vigil/cases/audit"
)

// open reports whether the server answers requests without a token: no
// token is required and none exists (neither VIGIL_TOKEN nor a stored one).
func (s *Server) open() bool {
	return !s.cfg.RequireToken && s.cfg.Token == "" && (s.cfg.Tokens == nil || s.cfg.Tokens.Len() == 0)
}

// checkHost refuses a request to an open server whose Host is not a
// loopback name (127.0.0.0/8, ::1, localhost) with the listening port: a
// web page cannot reach the API through a DNS name rebound to 127.0.0.1.
// A server that needs tokens answers any Host: a token is the proof.
func (s *Server) checkHost(r *http.Request) error {
	if !s.open() {
		return nil
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, "80"
	}
	ip := net.ParseIP(host)
	loop := strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback())
	if _, want, err := net.SplitHostPort(s.cfg.Addr); err == nil && port != want {
		loop = false
	}
	if !loop {
		return vigil.Errorf(vigil.EFORBIDDEN, "this server has no API tokens, so it answers only requests for 127.0.0.1, localhost or [::1] on its own port "+
			"(a guard against DNS rebinding); create a token (vigil token create) to reach it under another name")
	}
	return nil
}

// Principal is who made a request: a token's name and role, "local" (admin)
// on an open loopback server, or "token" for VIGIL_TOKEN.
type Principal struct {
	Name string
	Role Role
}

type userKey struct{}

// errMissingToken answers a request without a token to a server that
// needs one.
var errMissingToken = vigil.Errorf(vigil.EUNAUTHORIZED, "missing API token: send Authorization: Bearer TOKEN (create one with `vigil token create`)")

// authenticate finds the principal of r: from a bearer token, else from the
// page's session cookie, else "local" on an open server. A client whose
// failures are spent is refused (ETOOMANY) before its token is checked;
// each failed token is audited and spends one.
func (s *Server) authenticate(r *http.Request) (Principal, error) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok && auth != "" {
		return Principal{}, vigil.Errorf(vigil.EUNAUTHORIZED, "malformed Authorization header: send Authorization: Bearer TOKEN")
	}
	if ok {
		p, _, _, err := s.signIn(r, token, "bearer")
		return p, err
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if p, ok := s.session(c.Value); ok {
			return p, nil
		}
	}
	if s.open() {
		return Principal{Name: "local", Role: RoleAdmin}, nil
	}
	return Principal{}, errMissingToken
}

// signIn checks token for the client of r, throttled and audited (via
// names how it came: "bearer" or "sign-in"); it returns the principal, the
// token's hash ("" for VIGIL_TOKEN) and its expiry (zero: none).
func (s *Server) signIn(r *http.Request, token, via string) (Principal, string, time.Time, error) {
	client := clientOf(r.RemoteAddr)
	if s.fails.blocked(client) {
		return Principal{}, "", time.Time{}, vigil.Errorf(vigil.ETOOMANY, "too many failed sign-ins from this address: wait a minute, then try again")
	}
	p, hash, until, err := s.checkToken(token)
	if vigil.ErrorCode(err) == vigil.EUNAUTHORIZED {
		s.fails.fail(client)
		aerr := s.cfg.Audit.Record(audit.Entry{User: "anonymous", Action: "auth.fail",
			Query: map[string]string{"client": client, "via": via, "path": r.URL.Path}, Result: "refused: " + vigil.ErrorMessage(err)})
		if aerr != nil {
			s.cfg.Logger.Error("audit log write failed", "error", aerr)
		}
	}
	return p, hash, until, err
}

// checkToken returns the principal of token: VIGIL_TOKEN's admin, or a
// stored token's name and role with its hash and expiry.
func (s *Server) checkToken(token string) (Principal, string, time.Time, error) {
	if s.cfg.Token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.Token)) == 1 {
		return Principal{Name: "token", Role: RoleAdmin}, "", time.Time{}, nil
	}
	if s.cfg.Tokens == nil {
		return Principal{}, "", time.Time{}, ErrBadToken
	}
	rec, err := s.cfg.Tokens.Authenticate(token)
	if err != nil {
		return Principal{}, "", time.Time{}, s.tokenStoreError(err)
	}
	p, err := s.principalOf(rec)
	sum := sha256.Sum256([]byte(token))
	return p, hex.EncodeToString(sum[:]), rec.ExpiresAt, err
}

// principalOf is the principal of a stored token.
func (s *Server) principalOf(rec TokenRecord) (Principal, error) {
	role, err := ParseRole(rec.Role)
	if err != nil {
		s.cfg.Logger.Error("token store: a token has an unknown role", "token", rec.Name, "role", rec.Role)
		return Principal{}, ErrBadToken
	}
	return Principal{Name: rec.Name, Role: role}, nil
}

// tokenStoreError turns a token store failure into EUNAVAILABLE, logged;
// ErrBadToken passes.
func (s *Server) tokenStoreError(err error) error {
	if vigil.ErrorCode(err) == vigil.EINTERNAL {
		s.cfg.Logger.Error("token store", "error", err)
		return vigil.Errorf(vigil.EUNAVAILABLE, "the token store cannot be read")
	}
	return err
}

// session returns the principal of a live session whose token is still
// valid; a session whose token was revoked or expired ends.
func (s *Server) session(id string) (Principal, bool) {
	se, ok := s.sessions.lookup(id)
	if !ok {
		return Principal{}, false
	}
	if se.tokenHash == "" {
		return se.principal, s.cfg.Token != ""
	}
	if s.cfg.Tokens != nil {
		if rec, err := s.cfg.Tokens.byHash(se.tokenHash); err == nil {
			if p, err := s.principalOf(rec); err == nil {
				return p, true
			}
		}
	}
	s.sessions.end(id)
	return Principal{}, false
}

// login checks a token pasted into the sign-in form and starts a session:
// a random ID in an HttpOnly, SameSite=Strict cookie with Max-Age, Secure
// unless the server is loopback-only (Config.SecureCookies).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" {
		render(w, http.StatusUnauthorized, "login.html", view{Page: "login", Error: "empty token: paste the token `vigil token create` printed"})
		return
	}
	p, hash, until, err := s.signIn(r, token, "sign-in")
	if err == nil {
		var id string
		if id, until, err = s.sessions.create(p, hash, until); err == nil {
			http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", MaxAge: int(time.Until(until).Seconds()),
				HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.cfg.SecureCookies || r.TLS != nil})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
	}
	render(w, statusOf(err), "login.html", view{Page: "login", Error: vigil.ErrorMessage(err)})
}

// logout ends the session on the server and clears its cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.end(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.cfg.SecureCookies || r.TLS != nil})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
