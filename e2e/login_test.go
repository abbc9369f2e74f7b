package e2e

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil"
	"vigil/crawler/loginfixture"
)

// TestCrawlLogsInToAForumThatExpiresSessions runs `vigil up --direct`,
// stores a login recipe and the user name with `vigil secrets add`, and
// runs `vigil crawl --login NAME` against a members-only forum whose
// sessions last nine pages (the recipe takes the password from the
// worker's VIGIL_LOGIN_FORUM_PASS; `--login PATH` is refused): every
// members-only page is indexed as a member sees it, the crawler logged in
// again after sessions expired, and the password (random for this run) is
// nowhere: not in the index (searched for), not in any file of the data
// directory (Temporal's history included), not in the process logs or the
// CLI's output.
func TestCrawlLogsInToAForumThatExpiresSessions(t *testing.T) {
	t.Parallel()
	raw := make([]byte, 12)
	rand.Read(raw)
	password := "pw" + hex.EncodeToString(raw)
	forum := loginfixture.New("carol", password, 60, 9)
	srv := httptest.NewServer(forum)
	defer srv.Close()

	dir := t.TempDir()
	user := filepath.Join(dir, "user")
	if err := os.WriteFile(user, []byte("carol\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	recipe := filepath.Join(dir, "forum.yaml")
	if err := os.WriteFile(recipe, []byte("url: "+srv.URL+"/login\n"+`form: "form#login"
fields: {remember: "yes"}
credentials:
  user: {file: forum-user}
  pass: {env: VIGIL_LOGIN_FORUM_PASS}
success: {selector: 'a[href="/logout"]', absent_text: Invalid user name}
`), 0o644); err != nil {
		t.Fatal(err)
	}

	// The password reaches the crawl worker through its environment only;
	// the user name and the recipe are stored by name through the API.
	inst := startUpEnv(t, []string{"VIGIL_LOGIN_FORUM_PASS=" + password}, "--direct", "--concurrency", "4", "--batch-size", "25")
	for _, add := range [][]string{{"credential", "forum-user", user}, {"login", "forum", recipe}} {
		if out, errOut, code := runVigil(t, append([]string{"secrets", "add", "--server", inst.URL}, add...)...); code != 0 {
			t.Fatalf("vigil secrets add %v exited %d: %s %s", add, code, errOut, out)
		}
	}
	if out, errOut, code := runVigil(t, "secrets", "list", "--server", inst.URL); code != 0 || !strings.Contains(out, "forum-user") || strings.Contains(out, "carol") {
		t.Fatalf("vigil secrets list exited %d: %s %s", code, errOut, out)
	}
	if _, errOut, code := runVigil(t, "crawl", "--server", inst.URL, "--case", "login-test", "--login", recipe, srv.URL+"/"); code != 2 || !strings.Contains(errOut, "not a file") {
		t.Fatalf("vigil crawl --login PATH exited %d: %s; want a usage error saying recipes are named", code, errOut)
	}
	out, errOut, code := runVigil(t, "crawl", "--server", inst.URL, "--case", "login-test", "--login", "forum",
		"--depth", "-1", "--max-pages", "1000", "--wait", srv.URL+"/")
	if code != 0 {
		t.Fatalf("vigil crawl exited %d: %s\n%s", code, errOut, out)
	}
	crawlID := strings.Fields(out)[1]
	paths := forum.MemberPaths()
	var st vigil.CrawlStatus
	getJSON(t, inst.URL, "/api/crawls/"+crawlID, &st)
	if st.State != "finished" || st.Pages != len(paths) || st.Indexed != len(paths) || st.Errors != 0 {
		t.Fatalf("crawl status = %+v; want finished with the %d members-only pages fetched and indexed", st, len(paths))
	}
	for _, p := range paths {
		var doc struct{ Document vigil.Document }
		id := vigil.DocumentID(crawlID, srv.URL+p)
		if code := getJSON(t, inst.URL, "/api/documents/"+id, &doc); code != 200 || !strings.Contains(doc.Document.Text, loginfixture.Marker(p)) {
			t.Errorf("members-only page %s: GET document answered %d with text %.100q", p, code, doc.Document.Text)
		}
	}
	if forum.Logins() < 2 || forum.Expired() == 0 {
		t.Errorf("forum saw %d logins and %d expired sessions; want a login again after an expiry", forum.Logins(), forum.Expired())
	}
	if forum.Logouts() != 0 || forum.Failed() != 0 || len(forum.Leaks()) != 0 {
		t.Errorf("forum saw %d logouts, %d refused logins, password outside the form: %v", forum.Logouts(), forum.Failed(), forum.Leaks())
	}

	// The password is nowhere: not in any file of the data directory,
	// Temporal's history and the audit log included, nor in the logs.
	// WARC files are read decompressed; to show that the scan sees into
	// them, a members-only text must be found in one.
	files, warcWithMarker := 0, 0
	marker := []byte(loginfixture.Marker("/topic/60"))
	err := filepath.WalkDir(inst.Data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if strings.HasSuffix(path, ".warc.gz") && bytes.Contains(b, marker) {
				warcWithMarker++
			}
		}
		files++
		if bytes.Contains(b, []byte(password)) {
			t.Errorf("the password is in %s", path)
		}
		return nil
	})
	if err != nil || files == 0 || warcWithMarker == 0 {
		t.Fatalf("reading the data directory: %d files, %d WARC files with a members-only page, %v", files, warcWithMarker, err)
	}
	logs := inst.logs.String()
	if strings.Contains(logs, password) || strings.Contains(out+errOut, password) {
		t.Errorf("the password is in the process logs or the CLI's output")
	}
	if !strings.Contains(logs, "logged in with the crawl's login recipe") {
		t.Errorf("the logins are not in the process logs (are the logs captured?):\n%s", tail(logs, 2000))
	}
	// Searched for last: the audit log records every query, this one too.
	var res vigil.SearchResult
	getJSON(t, inst.URL, "/api/search?q="+url.QueryEscape(password), &res)
	if res.Total != 0 {
		t.Errorf("searching the index for the password found %d documents", res.Total)
	}
	getJSON(t, inst.URL, "/api/search?q="+url.QueryEscape(`"`+loginfixture.Marker("/topic/60")+`"`), &res)
	if res.Total != 1 {
		t.Errorf("searching the index for a members-only text found %d documents, want 1 (the search works)", res.Total)
	}
}
