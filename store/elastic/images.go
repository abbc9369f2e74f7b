package elastic

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/bits"
	"net/http"
	"slices"
	"time"

	"vigil"
)

// Image match defaults and limits, the same as the embedded store's.
const (
	defaultNearest = 10
	maxNearest     = 1000
)

// Hash sizes in bytes.
const (
	pdqBytes    = 32
	phashBytes  = 8
	sha256Bytes = 32
	md5Bytes    = 16
)

// chunkBits is the width of a pigeonhole chunk: 16 bits, 4 hex digits.
const chunkBits = 16

// maxChunkTerms bounds the terms one query hash may send (index.max_terms_count
// is 65,536). Above it the pre-filter falls back to every image with the hash.
// For PDQ it allows sub-radius 3 (16 × 697 = 11,152 terms), so radii up to
// 63, the whole review band, stay pre-filtered.
const maxChunkTerms = 16384

// chunks splits a hash into 16-bit chunks.
func chunks(h []byte) []uint16 {
	out := make([]uint16, len(h)/2)
	for i := range out {
		out[i] = uint16(h[2*i])<<8 | uint16(h[2*i+1])
	}
	return out
}

func chunkHex(c uint16) string { return fmt.Sprintf("%04x", c) }

// chunkFields returns the chunk keyword fields of a hash: prefix_c0 … .
func chunkFields(prefix string, h []byte, into map[string]any) {
	for i, c := range chunks(h) {
		into[fmt.Sprintf("%s_c%d", prefix, i)] = chunkHex(c)
	}
}

// neighbours returns every 16-bit value within Hamming distance r of c,
// c first, as 4-hex-digit keywords.
func neighbours(c uint16, r int) []string {
	out := []string{chunkHex(c)}
	var walk func(v uint16, from, left int)
	walk = func(v uint16, from, left int) {
		for b := from; b < chunkBits; b++ {
			w := v ^ 1<<b
			out = append(out, chunkHex(w))
			if left > 1 {
				walk(w, b+1, left-1)
			}
		}
	}
	if r > 0 {
		walk(c, 0, min(r, chunkBits))
	}
	return out
}

// neighbourCount is the number of 16-bit values within distance r of one.
func neighbourCount(r int) int {
	n, binom := 0, 1
	for k := 0; k <= min(r, chunkBits); k++ {
		n += binom
		binom = binom * (chunkBits - k) / (k + 1)
	}
	return n
}

// chunkFilter returns the pigeonhole pre-filter for a query hash q at radius
// r: images with at least one chunk within floor(r/m) bits of q's chunk at
// the same position, m being the number of chunks. It returns nil when the
// terms would exceed maxChunkTerms: the caller then scans every image with
// the hash (exact, linear).
func chunkFilter(prefix string, q []byte, r int) map[string]any {
	cs := chunks(q)
	sub := r / len(cs)
	if len(cs)*neighbourCount(sub) > maxChunkTerms {
		return nil
	}
	should := make([]any, len(cs))
	for i, c := range cs {
		should[i] = map[string]any{"terms": map[string]any{fmt.Sprintf("%s_c%d", prefix, i): neighbours(c, sub)}}
	}
	return map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}}
}

// signedBytes is a hash as the signed bytes Elasticsearch takes for a bit
// vector.
func signedBytes(h []byte) []int {
	out := make([]int, len(h))
	for i, b := range h {
		out[i] = int(int8(b))
	}
	return out
}

// imageSource is what the images index holds of an image: the record, the
// PDQ and pHash as bit vectors (hex), their chunks, and @timestamp.
func imageSource(img *vigil.Image, pdq, phash []byte) map[string]any {
	m := map[string]any{
		"id": img.ID, "url": img.URL, "page_url": img.PageURL, "document_id": img.DocumentID,
		"crawl_id": img.CrawlID, "case_id": img.CaseID, "site": img.Site,
		"width": img.Width, "height": img.Height, "size": img.Size, "pdq_quality": img.PDQQuality,
	}
	if img.SHA256 != "" {
		m["sha256"] = hexLower(img.SHA256)
	}
	if img.MD5 != "" {
		m["md5"] = hexLower(img.MD5)
	}
	if pdq != nil {
		m["pdq"] = hex.EncodeToString(pdq)
		chunkFields("pdq", pdq, m)
	}
	if phash != nil {
		m["phash"] = hex.EncodeToString(phash)
		chunkFields("phash", phash, m)
	}
	if !img.CapturedAt.IsZero() {
		m["captured_at"] = img.CapturedAt.UTC().Format(time.RFC3339Nano)
		m["@timestamp"] = m["captured_at"]
	}
	return m
}

// imageSourceExcludes are the fields of the images index that are not part
// of vigil.Image.
var imageSourceExcludes = func() []string {
	out := []string{"@timestamp"}
	for i := range pdqBytes / 2 {
		out = append(out, fmt.Sprintf("pdq_c%d", i))
	}
	for i := range phashBytes / 2 {
		out = append(out, fmt.Sprintf("phash_c%d", i))
	}
	return out
}()

// PutImages stores image records, replacing any with the same ID (hashes
// included). It returns an EINVALID error, and writes nothing, if an image
// has no ID or a hash that is not hex of the algorithm's size.
func (s *Store) PutImages(ctx context.Context, images []vigil.Image) error {
	ops := make([]bulkOp, 0, len(images))
	for i := range images {
		img := &images[i]
		if img.ID == "" {
			return vigil.Errorf(vigil.EINVALID, "image %d has no ID", i)
		}
		var hs [4][]byte
		for j, a := range [][2]string{{vigil.AlgoPDQ, img.PDQ}, {vigil.AlgoPHash, img.PHash}, {vigil.AlgoSHA256, img.SHA256}, {vigil.AlgoMD5, img.MD5}} {
			b, err := vigil.DecodeHash(a[0], a[1])
			if err != nil {
				return fmt.Errorf("image %s: %w", img.ID, err)
			}
			hs[j] = b
		}
		body, err := json.Marshal(imageSource(img, hs[0], hs[1]))
		if err != nil {
			return fmt.Errorf("put images: %w", err)
		}
		ops = append(ops, bulkOp{action: "index", index: s.alias(kindImages), id: img.ID, body: body})
	}
	if len(ops) == 0 {
		return nil
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	return s.bulk(ctx, "put images", ops)
}

// hashSearch is the search request for the images within radius of one
// query hash, best first: for pdq and phash a script_score over the
// pigeonhole candidates with score = bits − distance and min_score =
// bits − radius; for sha256 and md5 a term filter.
func (s *Store) hashSearch(algo string, q []byte, radius, size int) map[string]any {
	body := map[string]any{
		"size":             size,
		"track_total_hits": false,
		"_source":          map[string]any{"excludes": imageSourceExcludes},
	}
	switch algo {
	case vigil.AlgoSHA256, vigil.AlgoMD5:
		body["query"] = map[string]any{"bool": map[string]any{"filter": []any{term(algo, hex.EncodeToString(q))}}}
		body["sort"] = []any{map[string]any{"id": map[string]any{"order": "asc"}}}
		return body
	}
	nbits := 8 * len(q)
	radius = min(radius, nbits)
	candidates := chunkFilter(algo, q, radius)
	if candidates == nil {
		candidates = map[string]any{"exists": map[string]any{"field": algo}}
	}
	body["query"] = map[string]any{"script_score": map[string]any{
		"query": map[string]any{"bool": map[string]any{"filter": []any{candidates}}},
		"script": map[string]any{
			"lang":   "painless",
			"source": fmt.Sprintf("%d - hamming(params.query_vector, '%s')", nbits, algo),
			"params": map[string]any{"query_vector": signedBytes(q)},
		},
		"min_score": nbits - radius,
	}}
	body["sort"] = []any{map[string]any{"_score": map[string]any{"order": "desc"}}, map[string]any{"id": map[string]any{"order": "asc"}}}
	return body
}

// msearchResponse is the part of a multi-search response the store reads.
type msearchResponse struct {
	Responses []struct {
		searchResponse
		Status int             `json:"status"`
		Error  json.RawMessage `json:"error"`
	} `json:"responses"`
}

// imageMatch is the best match found so far for one image.
type imageMatch struct {
	img   vigil.Image
	dist  int
	query int // index of the query hash
}

// MatchImages returns the stored images within the Hamming radius of any
// query hash (exact equality for sha256 and md5), each once with its best
// match: the smallest distance, and among equal distances the earliest query
// hash. It sends one multi-search with one search per query hash. Hits are
// ordered by distance, then image ID. A zero limit means 100; limits above
// 10,000 are cut to 10,000. Unknown algorithms, malformed hashes, negative
// distances and a negative limit are EINVALID errors.
func (s *Store) MatchImages(ctx context.Context, q vigil.ImageQuery) ([]vigil.ImageHit, error) {
	plan, err := q.Plan()
	if err != nil {
		return nil, err
	}
	radius, limit, queries := plan.Radius, plan.Limit, plan.Hashes
	if len(queries) == 0 {
		return []vigil.ImageHit{}, nil
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()

	var nd bytes.Buffer
	header, _ := json.Marshal(map[string]any{"index": s.alias(kindImages)})
	for i, qh := range q.Hashes {
		body, err := json.Marshal(s.hashSearch(qh.Algorithm, queries[i], radius[qh.Algorithm], limit))
		if err != nil {
			return nil, fmt.Errorf("match images: %w", err)
		}
		nd.Write(header)
		nd.WriteByte('\n')
		nd.Write(body)
		nd.WriteByte('\n')
	}
	resp, err := s.do(ctx, "match images", http.MethodPost, "/_msearch", nil, nd.Bytes())
	if err != nil {
		return nil, err
	}
	return decodeMatches(resp, q, queries, radius, limit)
}

// decodeMatches merges the per-hash responses of a multi-search into each
// image's best match, checking every distance against its radius.
func decodeMatches(resp []byte, q vigil.ImageQuery, queries [][]byte, radius map[string]int, limit int) ([]vigil.ImageHit, error) {
	var r msearchResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		return nil, fmt.Errorf("match images: decode response: %w", err)
	}
	if len(r.Responses) != len(queries) {
		return nil, fmt.Errorf("match images: %d responses for %d query hashes", len(r.Responses), len(queries))
	}
	best := map[string]imageMatch{}
	for qi, sr := range r.Responses {
		if len(sr.Error) > 0 {
			status := sr.Status
			if status == 0 {
				status = http.StatusInternalServerError
			}
			return nil, statusError(fmt.Sprintf("match images: query hash %d", qi), status, []byte(`{"error":`+string(sr.Error)+`}`))
		}
		algo := q.Hashes[qi].Algorithm
		for _, h := range sr.Hits.Hits {
			var img vigil.Image
			if err := json.Unmarshal(h.Source, &img); err != nil {
				return nil, fmt.Errorf("match images: decode hit %s: %w", h.ID, err)
			}
			dist, ok := distance(algo, &img, queries[qi])
			if !ok || (algo != vigil.AlgoSHA256 && algo != vigil.AlgoMD5 && dist > radius[algo]) {
				continue // the cluster's answer disagrees with the record: never report it
			}
			if m, seen := best[img.ID]; !seen || dist < m.dist || (dist == m.dist && qi < m.query) {
				best[img.ID] = imageMatch{img: img, dist: dist, query: qi}
			}
		}
	}
	ms := make([]imageMatch, 0, len(best))
	for _, m := range best {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b imageMatch) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.img.ID, b.img.ID))
	})
	ms = ms[:min(len(ms), limit)]
	out := make([]vigil.ImageHit, len(ms))
	for i, m := range ms {
		qh := q.Hashes[m.query]
		out[i] = vigil.ImageHit{Image: m.img, Algorithm: qh.Algorithm, Distance: m.dist, Variant: qh.Variant}
	}
	return out, nil
}

// distance is the Hamming distance between the image's hash of algo and q
// (0 for an equal sha256 or md5); ok is false when the image lacks that
// hash or it differs for an exact algorithm.
func distance(algo string, img *vigil.Image, q []byte) (int, bool) {
	stored := map[string]string{vigil.AlgoPDQ: img.PDQ, vigil.AlgoPHash: img.PHash, vigil.AlgoSHA256: img.SHA256, vigil.AlgoMD5: img.MD5}[algo]
	h, err := hex.DecodeString(stored)
	if err != nil || len(h) != len(q) {
		return 0, false
	}
	d := 0
	for i := range h {
		d += bits.OnesCount8(h[i] ^ q[i])
	}
	if (algo == vigil.AlgoSHA256 || algo == vigil.AlgoMD5) && d != 0 {
		return 0, false
	}
	return d, true
}

// NearestImages returns the k images whose PDQ hashes are nearest to pdq by
// approximate kNN over the bit vectors (HNSW): browsing for an analyst, not
// an exact match (use MatchImages for that). Distances are exact Hamming
// distances computed from the returned hashes; hits are ordered by
// distance, then image ID, with Algorithm "pdq". A zero k means 10; k above
// 1,000 is cut to 1,000. A malformed hash or a negative k is an EINVALID
// error.
func (s *Store) NearestImages(ctx context.Context, pdq string, k int) ([]vigil.ImageHit, error) {
	q, err := vigil.DecodeHash(vigil.AlgoPDQ, pdq)
	if err != nil {
		return nil, err
	} else if q == nil {
		return nil, vigil.Errorf(vigil.EINVALID, "empty pdq hash")
	}
	if k < 0 {
		return nil, vigil.Errorf(vigil.EINVALID, "k must not be negative")
	} else if k == 0 {
		k = defaultNearest
	}
	k = min(k, maxNearest)
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	body := map[string]any{
		"size": k,
		"knn": map[string]any{
			"field":          "pdq",
			"query_vector":   signedBytes(q),
			"k":              k,
			"num_candidates": min(max(2*k, 100), 10000),
		},
		"_source": map[string]any{"excludes": imageSourceExcludes},
	}
	resp, err := s.do(ctx, "nearest images", http.MethodPost, "/"+s.alias(kindImages)+"/_search", nil, body)
	if err != nil {
		return nil, err
	}
	var r searchResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		return nil, fmt.Errorf("nearest images: decode response: %w", err)
	}
	out := make([]vigil.ImageHit, 0, len(r.Hits.Hits))
	for _, h := range r.Hits.Hits {
		var img vigil.Image
		if err := json.Unmarshal(h.Source, &img); err != nil {
			return nil, fmt.Errorf("nearest images: decode hit %s: %w", h.ID, err)
		}
		d, ok := distance(vigil.AlgoPDQ, &img, q)
		if !ok {
			continue
		}
		out = append(out, vigil.ImageHit{Image: img, Algorithm: vigil.AlgoPDQ, Distance: d})
	}
	slices.SortFunc(out, func(a, b vigil.ImageHit) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.Image.ID, b.Image.ID))
	})
	return out, nil
}
