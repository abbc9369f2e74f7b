package crawler

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// The image path: what the crawler does with a response whose bytes are an
// image (Classify), with the data: images of a page, and with a page's
// image references.

// scrubPage takes the data: images out of p's body (ScrubDataImages), lists
// them in p.ImagesRemoved and parses the cleaned HTML again, so that
// neither the capture nor the document it is read into holds them.
func scrubPage(p *Page, finalURL *url.URL) []DataImage {
	clean, inline := ScrubDataImages(p.Body)
	if len(inline) == 0 {
		return nil
	}
	p.Body = clean
	for _, im := range inline {
		p.ImagesRemoved = append(p.ImagesRemoved, im.SHA256)
	}
	if p.Doc != nil && finalURL != nil {
		p.Doc = nil
		if doc, err := parseHTML(clean, p.ContentType, finalURL); err == nil {
			p.Doc = doc
		}
	}
	return inline
}

// hashInline hands the data: images taken out of p to OnImage, with p as
// their page of origin, and drops their bytes.
func (b *batch) hashInline(p *Page, inline []DataImage) {
	for i := range inline {
		im := &inline[i]
		if len(im.Bytes) > b.cfg.MaxImageBytes {
			b.imageFailed(Request{URL: im.Ref, Depth: p.Request.Depth, Referrer: p.Request.URL},
				fmt.Errorf("data: image %s in %s: larger than %d bytes, dropped", im.SHA256, p.Request.URL, b.cfg.MaxImageBytes))
		} else {
			ct := im.MediaType
			if ct == "" {
				_, ct = Classify(im.Bytes)
			}
			b.handImage(&ImageFetch{URL: im.Ref, PageURL: p.Request.URL, Body: im.Bytes, ContentType: ct, FetchedAt: p.FetchedAt})
		}
		im.Bytes = nil
	}
}

// notAPage settles r, whose response is not a page by its bytes: an image
// goes to OnImage, with the page that linked r as its page of origin; a
// medium is skipped, its body unread.
func (b *batch) notAPage(r Request, f *fetch) {
	defer b.st.finish(nil)
	if f.class == ClassMedia {
		b.skip(r, &TrapError{URL: r.URL, Reason: fmt.Sprintf("%s by its first bytes: media is not fetched", f.mime)})
		return
	}
	origin := r.Referrer
	if origin == "" {
		origin = r.URL // a seed
	}
	b.imageFetched(r, origin, f)
}

// imageFetched hands the image that f fetched for ref, on the page
// pageURL, to OnImage and drops its bytes; an image too large or answered
// with an error status is reported to OnError instead.
func (b *batch) imageFetched(ref Request, pageURL string, f *fetch) {
	defer func() { f.image = nil }()
	switch {
	case f.imageTooLarge:
		b.imageFailed(ref, fmt.Errorf("image %s: larger than %d bytes, dropped", ref.URL, b.cfg.MaxImageBytes))
	case f.status < 200 || f.status > 299:
		b.imageFailed(ref, fmt.Errorf("image %s: status %d", ref.URL, f.status))
	default:
		ct := f.header.Get("Content-Type")
		if ct == "" {
			ct = f.mime
		}
		b.handImage(&ImageFetch{URL: ref.URL, PageURL: pageURL, Body: f.image, ContentType: ct,
			Status: f.status, Header: f.header, FetchedAt: time.Now().UTC()})
	}
}

// handImage counts img and hands it to OnImage, then drops its bytes.
func (b *batch) handImage(img *ImageFetch) {
	b.st.count(func(s *Stats) { s.Images++; s.Bytes += int64(len(img.Body)) })
	if b.h.OnImage != nil {
		b.h.OnImage(img)
	}
	img.Body = nil
}

// imageFailed counts an image that failed and reports it to OnError.
func (b *batch) imageFailed(ref Request, err error) {
	b.st.count(func(s *Stats) { s.ImageErrors++ })
	if b.h.OnError != nil {
		b.h.OnError(ref, err)
	}
}

// fetchImages fetches the image references of r's page not yet taken in
// this Crawl call, one at a time through the host gates. What each answers
// decides its path (Classify): an image goes to OnImage, a page is queued
// as a link of r's page (an HTML page served as image/jpeg is a page), a
// medium is skipped. Failures go to OnError. It stops when the context is
// done.
func (b *batch) fetchImages(ctx context.Context, r Request, images []*url.URL) {
	for _, u := range images {
		key := u.String()
		if !b.st.markImage(key) {
			continue
		}
		done, err := b.gates.acquire(ctx, key)
		if err != nil {
			return
		}
		f, err := b.fetchRef(ctx, b.imageClient, key)
		done()
		if ctx.Err() != nil {
			return
		}
		ref := Request{URL: key, Depth: r.Depth + 1, Referrer: r.URL}
		switch {
		case err != nil:
			b.imageFailed(ref, err)
		case f.class == ClassImage:
			b.imageFetched(ref, r.URL, f)
		case f.class == ClassMedia:
			b.skip(ref, &TrapError{URL: key, Reason: fmt.Sprintf("%s by its first bytes: media is not fetched", f.mime)})
		case f.status < 200 || f.status > 299:
			b.imageFailed(ref, fmt.Errorf("image %s: status %d", key, f.status))
		case b.ss.allowsDepth(r.Depth + 1):
			b.queueLinks(r, []*url.URL{u})
		}
	}
}
