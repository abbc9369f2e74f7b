package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"vigil"
	"vigil/crawler/loginfixture"
)

const testPassword = "pw-Zq81-never-anywhere"

// writeRecipe stores, in a new secret store, the recipe "forum" whose
// password is the credential "pass" (a file of mode passMode) and whose
// user name comes from VIGIL_LOGIN_FORUM_USER; extra is appended.
func writeRecipe(t *testing.T, loginURL string, passMode os.FileMode, extra string) *Secrets {
	t.Helper()
	s := &Secrets{Dir: t.TempDir(), Getenv: func(k string) string {
		if k == "VIGIL_LOGIN_FORUM_USER" {
			return "alice"
		}
		return ""
	}}
	if _, err := s.PutSecret(context.Background(), vigil.SecretCredential, "pass", []byte(testPassword+"\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(s.Dir, "credential", "pass"), passMode); err != nil {
		t.Fatal(err)
	}
	recipe := fmt.Sprintf(`url: %s
fields:
  remember: "yes"
credentials:
  user: {env: VIGIL_LOGIN_FORUM_USER}
  pass: {file: pass}
success:
  selector: a[href="/logout"]
  absent_text: Invalid user name
%s`, loginURL, extra)
	if _, err := s.PutSecret(context.Background(), vigil.SecretLogin, "forum", []byte(recipe)); err != nil {
		t.Fatal(err)
	}
	return s
}

func loadTestLogin(t *testing.T, s *Secrets) *Login {
	t.Helper()
	l, err := s.Login("forum")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// crawlForum crawls the forum in batches of batch pages with one session and
// returns what the handler received.
func crawlForum(t *testing.T, srv *httptest.Server, sess *Session, batch int) (*recorder, Stats, []string) {
	t.Helper()
	c := newCrawler(t, Config{Session: sess, Concurrency: 4})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/")
	rec := &recorder{}
	var mu sync.Mutex
	var skipped []string
	h := rec.handler()
	h.OnSkip = func(r Request, err error) {
		mu.Lock()
		skipped = append(skipped, r.URL+" "+err.Error())
		mu.Unlock()
	}
	var total Stats
	for len(frontier) > 0 {
		rest, st, err := c.Crawl(context.Background(), frontier, scope, batch, seen, h)
		if err != nil {
			t.Fatalf("crawl: %v", err)
		}
		total.Pages += st.Pages
		total.Logins += st.Logins
		total.Errors += st.Errors
		frontier = rest
	}
	return rec, total, skipped
}

// TestLoginRecipeLogsInAgainWhenTheSessionExpires crawls a 40-topic forum
// whose sessions last 7 pages and which redirects logged-out visitors to its
// login form: the crawler logs in first, notices each expiry, logs in again
// and fetches the page again, so every members-only page is captured once,
// as a member sees it; the logout link is never followed and the password
// is in no capture (a page that shows it has it redacted), header, error or
// skip message.
func TestLoginRecipeLogsInAgainWhenTheSessionExpires(t *testing.T) {
	for _, tc := range []struct {
		name  string
		soft  bool
		extra string
	}{
		{name: "redirect-to-login"},
		{name: "logged-out-marker", soft: true, extra: "logged_out:\n  text: Please log in\n"},
		{name: "success-check-on-every-page", soft: true, extra: "check_every_page: true\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forum := loginfixture.New("alice", testPassword, 40, 7)
			forum.SoftExpiry = tc.soft
			srv := httptest.NewServer(forum)
			defer srv.Close()
			login := loadTestLogin(t, writeRecipe(t, srv.URL+"/login", 0o600, tc.extra))
			if s := fmt.Sprintf("%v %+v %#v", login, login, login); strings.Contains(s, testPassword) {
				t.Fatalf("printing the login shows the password: %s", s)
			}
			sess, err := NewSession(login, nil)
			if err != nil {
				t.Fatal(err)
			}
			rec, stats, skipped := crawlForum(t, srv, sess, 15)

			want := forum.MemberPaths()
			got := map[string]int{}
			for _, p := range rec.pages {
				path := strings.TrimPrefix(p.Request.URL, srv.URL)
				got[path]++
				body := string(p.Body)
				if p.Status != 200 || !strings.Contains(body, loginfixture.Marker(path)) {
					t.Errorf("page %s handed over with status %d and body %.80q: not the member's page", path, p.Status, body)
				}
				if strings.Contains(body, testPassword) || strings.Contains(fmt.Sprint(p.Header), testPassword) {
					t.Errorf("page %s carries the password", path)
				}
				// /topic/7 shows the password in a settings form: redacted.
				if echoes := path == "/topic/7"; p.Redacted != echoes || strings.Contains(body, "[redacted]") != echoes {
					t.Errorf("page %s: Redacted %v, body %q; want the password redacted on /topic/7 only", path, p.Redacted, body)
				}
			}
			for _, path := range want {
				if got[path] != 1 {
					t.Errorf("members-only page %s handed over %d times, want once", path, got[path])
				}
			}
			if len(rec.pages) != len(want) {
				t.Errorf("%d pages handed over, want the %d members-only pages", len(rec.pages), len(want))
			}
			if forum.Logins() < 2 || forum.Expired() == 0 {
				t.Errorf("forum saw %d logins and %d expired sessions; want a login after an expiry", forum.Logins(), forum.Expired())
			}
			if stats.Logins != forum.Logins() || sess.Logins() != forum.Logins() {
				t.Errorf("crawler counted %d logins (session %d), the forum %d", stats.Logins, sess.Logins(), forum.Logins())
			}
			if forum.Failed() != 0 || forum.Logouts() != 0 {
				t.Errorf("forum saw %d refused logins and %d logouts", forum.Failed(), forum.Logouts())
			}
			if leaks := forum.Leaks(); len(leaks) > 0 {
				t.Errorf("the password was sent outside the login form: %v", leaks)
			}
			if len(rec.errs) > 0 {
				t.Errorf("page errors: %v", rec.errs)
			}
			avoided := false
			for _, s := range skipped {
				if strings.Contains(s, testPassword) {
					t.Errorf("skip message carries the password: %s", s)
				}
				avoided = avoided || strings.Contains(s, "/logout")
			}
			if !avoided {
				t.Errorf("the logout link was not reported as skipped: %v", skipped)
			}
		})
	}
}

// TestLoginRecipeRefusals: bad recipes and refused logins are clear errors
// that never quote the password, and a refused login hands over no page.
func TestLoginRecipeRefusals(t *testing.T) {
	forum := loginfixture.New("alice", testPassword, 3, 100)
	srv := httptest.NewServer(forum)
	defer srv.Close()

	if _, err := writeRecipe(t, srv.URL+"/login", 0o644, "").Login("forum"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable password file was accepted: %v", err)
	} else if strings.Contains(err.Error(), testPassword) {
		t.Errorf("error quotes the password: %v", err)
	}
	unset := writeRecipe(t, srv.URL+"/login", 0o600, "")
	unset.Getenv = func(string) string { return "" }
	if _, err := unset.Login("forum"); err == nil || !strings.Contains(err.Error(), "VIGIL_LOGIN_FORUM_USER") {
		t.Errorf("an unset environment variable was accepted: %v", err)
	}
	for _, bad := range []string{
		"url: ftp://x/\ncredentials: {p: {env: VIGIL_LOGIN_X}}\nsuccess: {text: hi}\n",
		"url: http://x/login\ncredentials: {p: {env: VIGIL_LOGIN_X}}\n",
		"url: http://x/login\nsuccess: {text: hi}\n",
		"url: http://x/login\ncredentials: {p: {env: VIGIL_LOGIN_X}}\nsuccess: {text: hi}\nsucess_typo: 1\n",
		"url: http://x/login\ncredentials: {p: {env: VIGIL_LOGIN_X, file: y}}\nsuccess: {text: hi}\n",
		"url: http://x/login\ncredentials: {p: {env: VIGIL_LOGIN_X}}\nsuccess: {selector: 'a[[['}\n",
		"- not a mapping\n",
		"url: http://x/login\ncredentials: {p: {env: VIGIL_TOKEN}}\nsuccess: {text: hi}\n",
		"url: http://x/login\ncredentials: {p: {env: HOME}}\nsuccess: {text: hi}\n",
		"url: http://x/login\ncredentials: {p: {env: VIGIL_LOGIN_}}\nsuccess: {text: hi}\n",
		"url: http://x/login\ncredentials: {p: {env: vigil_login_x}}\nsuccess: {text: hi}\n",
		"url: http://x/login\ncredentials: {p: {file: ../keys/evidence.key}}\nsuccess: {text: hi}\n",
		"url: http://x/login\ncredentials: {p: {file: /etc/passwd}}\nsuccess: {text: hi}\n",
		"url: http://x/login\ncredentials: {p: {file: .hidden}}\nsuccess: {text: hi}\n",
	} {
		if _, err := ParseLogin([]byte(bad), t.TempDir(), func(string) string { return "v" }); err == nil {
			t.Errorf("recipe accepted: %q", bad)
		}
	}

	// A wrong password: the success check fails, the crawl stops with
	// ErrLogin before any page.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pass"), []byte("wrong-"+testPassword), 0o600)
	recipe := fmt.Sprintf("url: %s/login\nfields: {remember: \"yes\"}\ncredentials: {user: {env: VIGIL_LOGIN_U}, pass: {file: pass}}\nsuccess: {selector: 'a[href=\"/logout\"]'}\n", srv.URL)
	l, err := ParseLogin([]byte(recipe), dir, func(string) string { return "alice" })
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := NewSession(l, nil)
	c := newCrawler(t, Config{Session: sess})
	seen := NewMemorySeen()
	scope, frontier := start(t, seen, srv.URL+"/")
	rec := &recorder{}
	rest, _, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler())
	if !errors.Is(err, ErrLogin) || !strings.Contains(err.Error(), "success check") {
		t.Fatalf("crawl with a wrong password: %v; want a refused login", err)
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Errorf("error quotes the password: %v", err)
	}
	if len(rec.pages) != 0 || len(rest) != 1 || forum.Failed() != 1 {
		t.Errorf("after a refused login: %d pages handed over, %d left, forum refused %d; want 0, 1, 1", len(rec.pages), len(rest), forum.Failed())
	}

	// A form that would send the password in the URL is refused.
	getForm := httptest.NewServer(loginfixtureGetForm{})
	defer getForm.Close()
	l, err = ParseLogin([]byte(strings.ReplaceAll(recipe, srv.URL, getForm.URL)), dir, func(string) string { return "alice" })
	if err != nil {
		t.Fatal(err)
	}
	sess, _ = NewSession(l, nil)
	c = newCrawler(t, Config{Session: sess})
	seen = NewMemorySeen()
	scope, frontier = start(t, seen, getForm.URL+"/")
	if _, _, err := c.Crawl(context.Background(), frontier, scope, 0, seen, rec.handler()); !errors.Is(err, ErrLogin) || !strings.Contains(err.Error(), "uses GET") {
		t.Fatalf("a GET login form: %v; want it refused", err)
	}
}

type loginfixtureGetForm struct{}

func (loginfixtureGetForm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	fmt.Fprint(w, `<form action="/login"><input name="user"><input type="password" name="pass"></form>`)
}
