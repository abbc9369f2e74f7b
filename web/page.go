package web

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"vigil"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"kinds": func() []vigil.Kind {
		return []vigil.Kind{vigil.KindEmail, vigil.KindPhone, vigil.KindWhatsApp, vigil.KindTelegram,
			vigil.KindOnion, vigil.KindBTC, vigil.KindETH, vigil.KindXMR, vigil.KindTRX, vigil.KindPGP}
	},
}).ParseFS(templateFS, "templates/*.html"))

func (s *Server) pageRoutes() {
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.auth(s.pageSearch))
	s.mux.HandleFunc("GET /contact", s.auth(s.pageContact))
	s.mux.HandleFunc("GET /doc/{id}", s.auth(s.pageDocument))
}

type searchView struct {
	Query  vigil.Query
	Result *vigil.SearchResult
	Error  string
}

func (s *Server) pageSearch(w http.ResponseWriter, r *http.Request) {
	v := searchView{}
	q, err := parseQuery(r.URL.Query())
	v.Query = q
	if err != nil {
		v.Error = vigil.ErrorMessage(err)
	} else if r.URL.Query().Has("q") {
		res, err := s.doSearch(r, q)
		if err != nil {
			v.Error = vigil.ErrorMessage(err)
		} else {
			v.Result = &res
		}
	}
	render(w, "search.html", v)
}

type contactView struct {
	Kind, Value string
	Result      *vigil.FindingResult
	Sites       []string
	Error       string
}

func (s *Server) pageContact(w http.ResponseWriter, r *http.Request) {
	v := contactView{Kind: r.URL.Query().Get("kind"), Value: strings.TrimSpace(r.URL.Query().Get("value"))}
	if v.Value != "" {
		res, err := s.doFindings(r, vigil.FindingQuery{Kind: vigil.Kind(v.Kind), Value: v.Value, Limit: 1000})
		if err != nil {
			v.Error = vigil.ErrorMessage(err)
		} else {
			v.Result = &res
			seen := map[string]bool{}
			for _, f := range res.Findings {
				if !seen[f.Site] {
					seen[f.Site] = true
					v.Sites = append(v.Sites, f.Site)
				}
			}
		}
	}
	render(w, "contact.html", v)
}

type documentView struct {
	Doc   *DocumentResponse
	Error string
}

func (s *Server) pageDocument(w http.ResponseWriter, r *http.Request) {
	res, err := s.doDocument(r, r.PathValue("id"))
	v := documentView{}
	if err != nil {
		v.Error = vigil.ErrorMessage(err)
	} else {
		v.Doc = &res
	}
	render(w, "document.html", v)
}

func render(w http.ResponseWriter, name string, v any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, name, v); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
	}
}
