package web

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"vigil"
	"vigil/cases"
	"vigil/cases/audit"
)

func TestCaseRoutes(t *testing.T) {
	f := newFixture(t, true)
	if w := f.do(t, "GET", "/api/cases", f.tokens["viewer"], nil); w.Code != 503 {
		t.Errorf("GET /api/cases without a case service: %d; want 503", w.Code)
	}
	reg, err := cases.OpenRegistry(filepath.Join(t.TempDir(), "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.srv.cfg
	cfg.Cases = &cases.Manager{Registry: reg, Audit: f.log}
	f.srv = New(cfg)

	for _, tc := range []struct {
		name, method, path, role, body string
		want                           int
	}{
		{"a viewer may not create a case", "POST", "/api/cases", "viewer", `{"id":"op-1","retention":"30d"}`, 403},
		{"an investigator creates a case", "POST", "/api/cases", "investigator", `{"id":"op-1","retention":"30d","authority":"warrant 1"}`, 201},
		{"an existing case is a conflict", "POST", "/api/cases", "investigator", `{"id":"op-1","retention":"30d"}`, 409},
		{"a case without retention is bad input", "POST", "/api/cases", "investigator", `{"id":"op-2"}`, 400},
		{"a bad retention is bad input", "POST", "/api/cases", "investigator", `{"id":"op-2","retention":"soon"}`, 400},
		{"a bad case ID is bad input", "POST", "/api/cases", "investigator", `{"id":"../x","retention":"1d"}`, 400},
		{"an unknown field is bad input", "POST", "/api/cases", "investigator", `{"id":"op-2","retention":"1d","x":1}`, 400},
		{"a viewer lists cases", "GET", "/api/cases", "viewer", "", 200},
		{"a viewer reads a case", "GET", "/api/cases/op-1", "viewer", "", 200},
		{"an unknown case is not found", "GET", "/api/cases/nosuch", "viewer", "", 404},
		{"an investigator may not purge", "POST", "/api/cases/op-1/purge", "investigator", "", 403},
		{"an admin purges", "POST", "/api/cases/op-1/purge", "admin", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body *strings.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			} else {
				body = strings.NewReader("")
			}
			w := f.do(t, tc.method, tc.path, f.tokens[tc.role], body, "Content-Type", "application/json")
			if w.Code != tc.want {
				t.Errorf("%s %s as %s: %d %s; want %d", tc.method, tc.path, tc.role, w.Code, w.Body, tc.want)
			}
		})
	}
	var list []vigil.Case
	if w := f.do(t, "GET", "/api/cases", f.tokens["viewer"], nil); json.Unmarshal(w.Body.Bytes(), &list) != nil || len(list) != 1 ||
		list[0].Authority != "warrant 1" || list[0].PurgedAt.IsZero() || list[0].CreatedBy != "investigator-user" {
		t.Errorf("cases: %s; want op-1, created by the investigator, purged", w.Body)
	}
	entries, _, err := f.log.Search(audit.Filter{Action: "case."})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action+" "+e.User+" "+e.CaseID)
	}
	got := strings.Join(actions, "; ")
	for _, want := range []string{"case.purge admin-user op-1", "case.create investigator-user op-1"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit %q lacks %q", got, want)
		}
	}
}
