package crawler

import (
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// Class is what the bytes of a response are, judged by Classify. It decides
// which path a response takes, whatever led to it (a link, an <img>, a
// redirect) and whatever its Content-Type or URL say: both lie, in both
// directions.
type Class int

// The classes of Classify.
const (
	// ClassPage is everything that is neither an image nor media: HTML,
	// text, and bytes of no known format. A page is captured (after any
	// data: image in it is removed, see ScrubDataImages).
	ClassPage Class = iota
	// ClassImage is a raster or vector image (JPEG, PNG, GIF, WebP, BMP,
	// TIFF, ICO, AVIF, HEIC/HEIF, JPEG XL, JPEG 2000, PSD, SVG, …). Its
	// bytes are hashed in memory and dropped: never captured, indexed,
	// archived with the pages, or logged.
	ClassImage
	// ClassMedia is video, audio, and the containers that carry images or
	// video in bulk (archives, PDF): not fetched beyond the first SniffBytes
	// bytes, and counted as skipped.
	ClassMedia
)

func (c Class) String() string {
	switch c {
	case ClassImage:
		return "image"
	case ClassMedia:
		return "media"
	}
	return "page"
}

// SniffBytes is how many bytes of a body Classify needs: the crawler reads
// at most this much of a response before it decides its path.
const SniffBytes = 4096

// mediaTypes are the MIME types (and, by their hierarchy, every subtype)
// of ClassMedia besides video/* and audio/*: containers that hold images
// or video in bulk.
var mediaTypes = []string{
	"application/ogg", "application/zip", "application/x-7z-compressed", "application/x-rar-compressed",
	"application/gzip", "application/x-bzip2", "application/x-xz", "application/zstd", "application/x-tar",
	"application/vnd.ms-cab-compressed", "application/x-lzip", "application/x-cpio", "application/pdf",
	"application/x-ole-storage", "application/vnd.rn-realmedia-vbr", "application/x-shockwave-flash",
}

// Classify is the one rule by which Vigil tells an image from a page: it
// sniffs the first bytes of a body (magic numbers, up to SniffBytes) and
// returns the class and the MIME type it detected. Content-Type and URL are
// never consulted. An empty body is a page.
func Classify(head []byte) (Class, string) {
	if len(head) == 0 {
		return ClassPage, "text/plain"
	}
	m := mimetype.Detect(head[:min(len(head), SniffBytes)])
	mt := m.String()
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	switch {
	case strings.HasPrefix(mt, "image/"):
		return ClassImage, mt
	case strings.HasPrefix(mt, "video/"), strings.HasPrefix(mt, "audio/"):
		return ClassMedia, mt
	}
	for a := m; a != nil; a = a.Parent() {
		for _, t := range mediaTypes {
			if a.Is(t) {
				return ClassMedia, mt
			}
		}
	}
	return ClassPage, mt
}
