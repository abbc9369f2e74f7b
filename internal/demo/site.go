package demo

import (
	"net/http"
	"strings"
	"sync/atomic"
)

// pageKind is the template a page is rendered with.
type pageKind uint8

const (
	kindIndex pageKind = iota
	kindBoard
	kindThread
	kindUser
	kindCategory
	kindListing
	kindVendor
)

// pageRef identifies a page: its kind, the entity (board, thread, user,
// category, listing or vendor number) and, for paginated kinds, the 1-based
// page number.
type pageRef struct {
	kind pageKind
	id   int32
	page int32
}

// Site is a generated demo site. It is an http.Handler serving GET and HEAD
// for its pages and images and 404 for every other path. A Site is immutable
// after New and safe for concurrent use.
type Site struct {
	cfg    Config
	refs   []pageRef      // by page ordinal, in Pages order
	paths  []string       // by page ordinal
	byPath map[string]int // page path -> ordinal

	sigs []plant // signature contacts, shared by many pages

	images     []imageSpec    // originals then near-duplicate copies
	imageByURL map[string]int // image path -> index in images
	pageImages map[int][]int  // page ordinal -> indexes in images
	imageCache []atomic.Pointer[[]byte]
}

// New generates the site for cfg. It lays out every page path up front
// (cheap: well under a second for 100,000 pages); page HTML is rendered per
// request and image bytes are rendered on first use. New panics if cfg.Kind
// is not "forum", "market" or "".
func New(cfg Config) *Site {
	cfg = cfg.withDefaults()
	s := &Site{cfg: cfg}
	s.layout()
	s.sigs = signatureContacts(cfg.Seed)
	s.layoutImages()
	return s
}

// Config is the Config the site was generated from, with defaults filled in.
func (s *Site) Config() Config { return s.cfg }

// Pages is the path of every HTML page, each once, in a fixed order that
// starts with "/". A full crawl from "/" captures exactly these. The caller
// may modify the returned slice.
func (s *Site) Pages() []string { return append([]string(nil), s.paths...) }

func (s *Site) layout() {
	c := s.cfg
	add := func(r pageRef) {
		s.refs = append(s.refs, r)
	}
	add(pageRef{kind: kindIndex})
	if c.hasForum() {
		for b := range boards {
			for p := 1; p <= pagesOf(countStrided(c.Threads, b, len(boards)), threadsPerBoardPage); p++ {
				add(pageRef{kindBoard, int32(b), int32(p)})
			}
		}
		tp := pagesOf(c.PostsPerThread, postsPerThreadPage)
		for t := range c.Threads {
			for p := 1; p <= tp; p++ {
				add(pageRef{kindThread, int32(t), int32(p)})
			}
		}
		for u := range c.Users {
			add(pageRef{kindUser, int32(u), 1})
		}
	}
	if c.hasMarket() {
		for k := range categories {
			for p := 1; p <= pagesOf(countStrided(c.Listings, k, len(categories)), listingsPerCatPage); p++ {
				add(pageRef{kindCategory, int32(k), int32(p)})
			}
		}
		for l := range c.Listings {
			add(pageRef{kindListing, int32(l), 1})
		}
		for v := range c.Vendors {
			add(pageRef{kindVendor, int32(v), 1})
		}
	}
	s.paths = make([]string, len(s.refs))
	s.byPath = make(map[string]int, len(s.refs))
	for i, r := range s.refs {
		p := s.pathOf(r)
		s.paths[i] = p
		s.byPath[p] = i
	}
}

// pathOf is the URL path of a page.
func (s *Site) pathOf(r pageRef) string {
	switch r.kind {
	case kindIndex:
		return "/"
	case kindBoard:
		return paged("/forum/"+boards[r.id].slug+"/", r.page)
	case kindThread:
		return paged("/forum/t/"+itoa(int(r.id))+"/", r.page)
	case kindUser:
		return "/forum/u/" + itoa(int(r.id)) + "-" + s.userName(int(r.id))
	case kindCategory:
		return paged("/market/"+categories[r.id].slug+"/", r.page)
	case kindListing:
		return "/market/listing/" + itoa(int(r.id))
	case kindVendor:
		return "/market/vendor/" + s.vendorName(int(r.id))
	}
	panic("demo: unknown page kind")
}

// paged is the path of page p of a paginated list whose first page is base
// (ending in "/").
func paged(base string, p int32) string {
	if p <= 1 {
		return base
	}
	return base + "page/" + itoa(int(p))
}

// ServeHTTP serves the page or image at r.URL.Path: 200 with the body for
// known paths, 404 for others, 405 for methods other than GET and HEAD.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	path := r.URL.Path
	var body []byte
	var ctype string
	if ord, ok := s.byPath[path]; ok {
		body = s.render(ord)
		ctype = "text/html; charset=utf-8"
	} else if i, ok := s.imageByURL[path]; ok {
		body = s.imageBytes(i)
		ctype = "image/png"
		if strings.HasSuffix(path, ".jpg") {
			ctype = "image/jpeg"
		}
	} else {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", itoa(len(body)))
	h.Set("Server", "nginx")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body) // A failed write means the client went away; nothing to do.
	}
}

// Page is the HTML of the page at path and whether it exists, as ServeHTTP
// would serve it.
func (s *Site) Page(path string) ([]byte, bool) {
	ord, ok := s.byPath[path]
	if !ok {
		return nil, false
	}
	return s.render(ord), true
}
