package web

import (
	"io"
	"net/http"
	"strconv"

	"vigil"
)

// ImageStore is the store of the images crawls keep when configured to
// (--evidence-keep-images): WARC files per crawl, apart from the pages.
// evidence.Dir implements it.
type ImageStore interface {
	Files(crawlID string) ([]string, error)
	Open(crawlID, name string) (io.ReadCloser, int64, error)
}

// imageRoutes serves the image store to analysts: the list of a crawl's
// files and each file as a download (never rendered), every request
// audited.
func (s *Server) imageRoutes() {
	s.mux.HandleFunc("GET /api/images/{crawl}", s.auth(s.imageFiles))
	s.mux.HandleFunc("GET /api/images/{crawl}/{file}", s.auth(s.imageFile))
}

func (s *Server) imageFiles(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Images == nil {
		writeError(w, vigil.Errorf(vigil.ENOTFOUND, "images are not kept on this server"))
		return
	}
	crawl := r.PathValue("crawl")
	files, err := s.cfg.Images.Files(crawl)
	outcome := strconv.Itoa(len(files)) + " files"
	if err != nil {
		outcome = "error: " + err.Error()
	}
	if aerr := s.record(r, "images.list", "", map[string]string{"crawl": crawl}, outcome); aerr != nil {
		err = aerr
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"crawl": crawl, "files": files})
}

func (s *Server) imageFile(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Images == nil {
		writeError(w, vigil.Errorf(vigil.ENOTFOUND, "images are not kept on this server"))
		return
	}
	crawl, name := r.PathValue("crawl"), r.PathValue("file")
	if err := s.record(r, "images.download", "", map[string]string{"crawl": crawl, "file": name}, ""); err != nil {
		writeError(w, err)
		return
	}
	f, size, err := s.cfg.Images.Open(crawl, name)
	if err != nil {
		writeError(w, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+safeName(crawl)+"-"+safeName(name)+`"`)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, f)
}
