package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// apiCall sends a request with an optional bearer token and returns the
// status and body.
func apiCall(t *testing.T, method, u, token, contentType string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// multipartImage is a multipart body with one "image" part of n bytes.
func multipartImage(t *testing.T, data []byte) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("image", "photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), &b
}

// createToken runs `vigil token create` against a data directory and
// returns the printed token.
func createToken(t *testing.T, data, role, name string, extra ...string) string {
	t.Helper()
	args := append([]string{"token", "create", "--data", data, "--role", role, "--name", name}, extra...)
	out, errOut, code := runVigil(t, args...)
	tok := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(tok, "vigil_") || strings.Contains(tok, "\n") {
		t.Fatalf("vigil token create --role %s: exit %d, stdout %q, stderr %q", role, code, out, errOut)
	}
	return tok
}

// TestAPIAccessErrorsAndAudit runs `vigil up` that requires tokens
// (VIGIL_TOKEN set) and checks, through the real API: roles (403 where not
// allowed), missing, unknown and expired tokens (401), oversized bodies
// (413), malformed queries (400, never 500), the admin's audit search, and
// that `vigil audit verify` accepts the live log and names the first broken
// line of a tampered copy.
func TestAPIAccessErrorsAndAudit(t *testing.T) {
	t.Setenv("VIGIL_TOKEN", "e2e-root-token-not-for-production")
	inst := startUp(t, "--direct")

	tok := map[string]string{
		"viewer":       createToken(t, inst.Data, "viewer", "vera"),
		"investigator": createToken(t, inst.Data, "investigator", "ivan"),
		"analyst":      createToken(t, inst.Data, "analyst", "ana"),
		"admin":        createToken(t, inst.Data, "admin", "adam"),
		"expired":      createToken(t, inst.Data, "admin", "old", "--expires", "1ms"),
	}
	out, _, code := runVigil(t, "token", "list", "--data", inst.Data)
	if code != 0 || !strings.Contains(out, "vera") || !strings.Contains(out, "(expired)") || strings.Contains(out, tok["viewer"]) {
		t.Fatalf("vigil token list: exit %d:\n%s", code, out)
	}
	raw, _ := os.ReadFile(filepath.Join(inst.Data, "tokens.json"))
	if bytes.Contains(raw, []byte(tok["viewer"])) {
		t.Fatalf("tokens.json holds a token in the clear")
	}

	photoType, photo := multipartImage(t, []byte("not an image"))
	crawlBody := `{"seeds":["http://127.0.0.1:1/"],"max_pages":1}`
	t.Run("roles and tokens", func(t *testing.T) {
		tests := []struct {
			name, method, path, who, ctype, body string
			want                                 int
		}{
			{"no token is refused", "GET", "/api/search?q=x", "", "", "", 401},
			{"an unknown token is refused", "GET", "/api/search?q=x", "vigil_nope", "", "", 401},
			{"an expired token is refused", "GET", "/api/search?q=x", "expired", "", "", 401},
			{"a viewer searches", "GET", "/api/search?q=x", "viewer", "", "", 200},
			{"a viewer reads crawls", "GET", "/api/crawls", "viewer", "", "", 200},
			{"a viewer may not start a crawl", "POST", "/api/crawls", "viewer", "application/json", crawlBody, 403},
			{"a viewer may not pause a crawl", "POST", "/api/crawls/crawl-x/pause", "viewer", "", "", 403},
			{"a viewer may not download a capture", "GET", "/api/documents/abc/capture", "viewer", "", "", 403},
			{"a viewer may not match photos", "POST", "/api/match", "viewer", photoType, photo.String(), 403},
			{"an investigator may download captures", "GET", "/api/documents/abc/capture", "investigator", "", "", 404},
			{"an investigator controls crawls", "POST", "/api/crawls/crawl-x/pause", "investigator", "", "", 404},
			{"an investigator may not match photos", "POST", "/api/match", "investigator", photoType, photo.String(), 403},
			{"an investigator may not list alerts", "GET", "/api/alerts", "investigator", "", "", 403},
			{"an analyst matches photos", "POST", "/api/match", "analyst", photoType, photo.String(), 400},
			{"an analyst may not read the audit log", "GET", "/api/audit", "analyst", "", "", 403},
			{"an analyst may not list tokens", "GET", "/api/tokens", "analyst", "", "", 403},
			{"an admin reads the audit log", "GET", "/api/audit", "admin", "", "", 200},
			{"an admin lists tokens", "GET", "/api/tokens", "admin", "", "", 200},
			{"VIGIL_TOKEN is an admin", "GET", "/api/audit", "root", "", "", 200},
			{"the page asks for a token", "GET", "/", "", "", "", 401},
			{"a viewer may not open the audit page", "GET", "/audit", "viewer", "", "", 403},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				token := tok[tc.who]
				switch tc.who {
				case "root":
					token = os.Getenv("VIGIL_TOKEN")
				case "vigil_nope":
					token = tc.who
				}
				code, body := apiCall(t, tc.method, inst.URL+tc.path, token, tc.ctype, strings.NewReader(tc.body))
				if code != tc.want {
					t.Fatalf("%s %s as %s = %d, want %d: %s", tc.method, tc.path, tc.who, code, tc.want, body)
				}
				if strings.HasPrefix(tc.path, "/api/") && code >= 400 {
					var e struct{ Error, Code string }
					if json.Unmarshal(body, &e) != nil || e.Error == "" || e.Code == "" {
						t.Fatalf("error body is not {error, code}: %s", body)
					}
					if (tc.who == "expired" || tc.who == "vigil_nope") && e.Error != "the API token is unknown, expired or revoked" {
						t.Fatalf("the 401 is not the one generic refusal: %s", e.Error)
					}
				}
			})
		}
	})

	t.Run("oversized bodies are 413", func(t *testing.T) {
		big := bytes.Repeat([]byte{0xff}, 21<<20)
		ct, body := multipartImage(t, big)
		if code, raw := apiCall(t, "POST", inst.URL+"/api/match", tok["analyst"], ct, body); code != 413 {
			t.Fatalf("a 21 MiB photo = %d, want 413: %s", code, raw)
		}
		huge := `{"seeds":["` + strings.Repeat("a", 2<<20) + `"]}`
		if code, raw := apiCall(t, "POST", inst.URL+"/api/crawls", tok["investigator"], "application/json", strings.NewReader(huge)); code != 413 {
			t.Fatalf("a 2 MiB crawl request = %d, want 413: %s", code, raw)
		}
		ct, body = multipartImage(t, bytes.Repeat([]byte{1}, 65<<20))
		if code, _ := apiCall(t, "POST", inst.URL+"/api/watchlists", tok["analyst"], ct, body); code != 413 {
			t.Fatalf("a 65 MiB upload = %d, want 413", code)
		}
	})

	t.Run("malformed queries are 400, never 500", func(t *testing.T) {
		bad := []string{
			"/api/search?q=" + url.QueryEscape(`"unclosed phrase`),
			"/api/search?q=" + url.QueryEscape(strings.Repeat("w ", 40)),
			"/api/search?q=%ff%fe",
			"/api/search?q=" + strings.Repeat("x", 1001),
			"/api/search?kind=banana",
			"/api/search?from=yesterday",
			"/api/search?from=2026-02-01&to=2026-01-01",
			"/api/search?limit=-1",
			"/api/search?limit=100000",
			"/api/search?offset=abc",
			"/api/findings?kind=banana&value=x",
			"/api/findings?limit=x",
			"/api/audit?limit=x",
		}
		for _, p := range bad {
			code, raw := apiCall(t, "GET", inst.URL+p, tok["admin"], "", nil)
			if code != 400 {
				t.Errorf("GET %s = %d, want 400: %s", p, code, raw)
			}
		}
		posts := map[string]string{
			"/api/crawls":                 `{"seeds":`,
			"/api/crawls?x":               `{"seeds":["http://127.0.0.1:1/"],"surprise":1}`,
			"/api/crawls/crawl-x/explode": ``,
			"/api/tokens":                 `{"role":"god"}`,
		}
		for p, body := range posts {
			code, raw := apiCall(t, "POST", inst.URL+p, tok["admin"], "application/json", strings.NewReader(body))
			if code != 400 {
				t.Errorf("POST %s %s = %d, want 400: %s", p, body, code, raw)
			}
		}
		if code, _ := apiCall(t, "GET", inst.URL+"/api/documents/nope", tok["viewer"], "", nil); code != 404 {
			t.Errorf("an unknown document = %d, want 404", code)
		}
	})

	t.Run("the audit log names token users and is searchable by an admin", func(t *testing.T) {
		apiCall(t, "GET", inst.URL+"/api/search?q=needle-for-audit", tok["viewer"], "", nil)
		code, raw := apiCall(t, "GET", inst.URL+"/api/audit?user=vera&action=search&q=needle-for-audit", tok["admin"], "", nil)
		var res struct {
			Total   int
			Entries []struct{ User, Action string }
		}
		if code != 200 || json.Unmarshal(raw, &res) != nil || res.Total != 1 || res.Entries[0].User != "vera" {
			t.Fatalf("audit search = %d: %s", code, raw)
		}
		code, raw = apiCall(t, "GET", inst.URL+"/api/audit?action=audit.search", tok["admin"], "", nil)
		if code != 200 || !bytes.Contains(raw, []byte(`"user":"adam"`)) {
			t.Fatalf("the admin's own audit search is not audited: %s", raw)
		}
	})

	t.Run("audit verify accepts the log and names the first broken line of a tampered copy", func(t *testing.T) {
		out, errOut, code := runVigil(t, "audit", "verify", "--data", inst.Data)
		if code != 0 || !strings.Contains(out, "chain intact") {
			t.Fatalf("audit verify on the live log: exit %d: %s %s", code, out, errOut)
		}
		raw, err := os.ReadFile(filepath.Join(inst.Data, "audit.log"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(raw), "\n")
		if len(lines) < 4 {
			t.Fatalf("the audit log has only %d lines", len(lines))
		}
		lines[2] = strings.Replace(lines[2], `"user":"`, `"user":"x`, 1) // line 3
		bad := t.TempDir()
		os.WriteFile(filepath.Join(bad, "audit.log"), []byte(strings.Join(lines, "")), 0o600)
		_, errOut, code = runVigil(t, "audit", "verify", "--data", bad)
		if code != 1 || !strings.Contains(errOut, "line 3 ") {
			t.Fatalf("audit verify on a tampered log: exit %d, stderr %q; want 1 naming line 3", code, errOut)
		}
	})
}
