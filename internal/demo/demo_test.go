package demo

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/base32"
	"encoding/hex"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/html"

	"vigil"
)

// get serves path through the handler without a network.
func get(t testing.TB, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, "http://demo.test"+path, nil))
	return rec
}

// crawl is a breadth-first crawl from "/" over same-host <a href> links. It
// returns the pages reached (in visit order), every image src seen, and fails
// the test on any internal link that is not a 200 page.
func crawl(t *testing.T, s *Site) (pages []string, imgs map[string]bool) {
	t.Helper()
	base, _ := url.Parse("http://demo.test/")
	seen := map[string]bool{"/": true}
	imgs = map[string]bool{}
	queue := []string{"/"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		rec := get(t, s, http.MethodGet, p)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d", p, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("GET %s: content type %q", p, ct)
		}
		pages = append(pages, p)
		doc, err := html.Parse(rec.Body)
		if err != nil {
			t.Fatalf("parse %s: %v", p, err)
		}
		pageURL := base.ResolveReference(&url.URL{Path: p})
		for n := range doc.Descendants() {
			if n.Type != html.ElementNode || (n.Data != "a" && n.Data != "img") {
				continue
			}
			for _, a := range n.Attr {
				if (n.Data == "a" && a.Key != "href") || (n.Data == "img" && a.Key != "src") {
					continue
				}
				ref, err := url.Parse(a.Val)
				if err != nil {
					t.Fatalf("%s: bad link %q: %v", p, a.Val, err)
				}
				u := pageURL.ResolveReference(ref)
				if u.Host != base.Host || u.Scheme != base.Scheme {
					continue
				}
				if ref.IsAbs() {
					t.Errorf("%s: internal link %q is absolute", p, a.Val)
				}
				if n.Data == "img" {
					imgs[u.Path] = true
					continue
				}
				if !seen[u.Path] {
					seen[u.Path] = true
					queue = append(queue, u.Path)
				}
			}
		}
	}
	return pages, imgs
}

func TestZeroConfigYieldsAbout600Pages(t *testing.T) {
	s := New(Config{})
	n := len(s.Pages())
	if n < 540 || n > 660 {
		t.Fatalf("zero Config has %d pages, want about 600", n)
	}
	if n != (Config{}).PageCount() {
		t.Fatalf("PageCount = %d, Pages has %d", (Config{}).PageCount(), n)
	}
	if s.Pages()[0] != "/" {
		t.Fatalf("first page is %q, want /", s.Pages()[0])
	}
}

func TestBreadthFirstCrawlReachesExactlyPages(t *testing.T) {
	for name, cfg := range map[string]Config{
		"both":            {},
		"forum":           {Kind: "forum", Seed: 7},
		"market":          {Kind: "market", Seed: 9, Listings: 500, Vendors: 3},
		"near duplicates": {NearDuplicates: true, ImageEvery: 2, Threads: 40, PostsPerThread: 31},
		"tiny":            {Threads: 1, Users: 1, Listings: 1, PostsPerThread: 1},
		"for 3000 pages":  ForPages(3000),
	} {
		t.Run(name, func(t *testing.T) {
			s := New(cfg)
			pages, imgs := crawl(t, s)
			want := s.Pages()
			if len(pages) != len(want) {
				t.Errorf("crawl reached %d pages, Pages has %d", len(pages), len(want))
			}
			slices.Sort(pages)
			slices.Sort(want)
			if !slices.Equal(pages, want) {
				t.Fatalf("crawled set differs from Pages()")
			}
			var served []string
			for _, im := range s.Images() {
				served = append(served, im.Path)
				if !imgs[im.Path] {
					t.Errorf("image %s is not referenced by any page", im.Path)
				}
			}
			for p := range imgs {
				if !slices.Contains(served, p) {
					t.Errorf("page refers to unknown image %s", p)
				}
			}
		})
	}
}

func TestSameConfigGivesIdenticalBytes(t *testing.T) {
	cfg := Config{Seed: 42, NearDuplicates: true}
	a, b := New(cfg), New(cfg)
	if !slices.Equal(a.Pages(), b.Pages()) {
		t.Fatal("Pages differ")
	}
	for _, p := range a.Pages() {
		pa, _ := a.Page(p)
		pb, _ := b.Page(p)
		if !bytes.Equal(pa, pb) {
			t.Fatalf("page %s differs between two sites from one Config", p)
		}
		if again, _ := a.Page(p); !bytes.Equal(pa, again) {
			t.Fatalf("page %s differs between two renders", p)
		}
	}
	ia, ib := a.Images(), b.Images()
	for i := range ia {
		if !bytes.Equal(ia[i].Bytes(), ib[i].Bytes()) {
			t.Fatalf("image %s differs", ia[i].Path)
		}
	}
	if !slices.Equal(a.Planted(), b.Planted()) {
		t.Fatal("Planted differs")
	}
	other := New(Config{Seed: 43})
	pa, _ := a.Page("/forum/t/3/")
	po, _ := other.Page("/forum/t/3/")
	if bytes.Equal(pa, po) {
		t.Fatal("different seeds give the same thread page")
	}
}

func TestPagesAreAFewKilobytes(t *testing.T) {
	s := New(Config{})
	for _, p := range s.Pages() {
		body, _ := s.Page(p)
		if len(body) < 1500 || len(body) > 20000 {
			t.Errorf("page %s is %d bytes", p, len(body))
		}
	}
}

func TestUnknownPathsAre404AndOnlyGetIsAllowed(t *testing.T) {
	s := New(Config{})
	for _, p := range []string{"/nope", "/forum/t/99999/", "/forum/general", "/img/99999.jpg", "/market/listing/180"} {
		if rec := get(t, s, http.MethodGet, p); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, rec.Code)
		}
	}
	if rec := get(t, s, http.MethodPost, "/"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", rec.Code)
	}
	rec := get(t, s, http.MethodHead, "/")
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD /: status %d, body %d bytes, length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

func TestUnknownKindPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New with Kind \"shop\" did not panic")
		}
	}()
	New(Config{Kind: "shop"})
}

// visibleText is the text of a page as a browser shows it, nodes joined by
// spaces.
func visibleText(t *testing.T, body []byte) string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for n := range doc.Descendants() {
		if n.Type == html.TextNode && n.Parent != nil && n.Parent.Data != "style" && n.Parent.Data != "title" {
			b.WriteString(n.Data)
			b.WriteString(" ")
		}
	}
	return b.String()
}

var (
	deobfuscate = strings.NewReplacer(" [at] ", "@", " [dot] ", ".", "(at)", "@", "(dot)", ".")
	digitsOnly  = regexp.MustCompile(`\D`)
	e164        = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)
)

// checkValue fails unless p.Value is a valid normalised value of p.Kind that
// follows from p.Text.
func checkValue(t *testing.T, p Planted) {
	t.Helper()
	bad := func(why string) { t.Errorf("%s %q (written %q on %s): %s", p.Kind, p.Value, p.Text, p.Path, why) }
	switch p.Kind {
	case vigil.KindEmail:
		if got := strings.ToLower(deobfuscate.Replace(p.Text)); got != p.Value || p.Value != strings.ToLower(p.Value) {
			bad("text de-obfuscates to " + got)
		}
	case vigil.KindPhone, vigil.KindWhatsApp:
		if !e164.MatchString(p.Value) {
			bad("not E.164")
		}
		written := p.Text
		if p.Kind == vigil.KindWhatsApp {
			written = "+" + digitsOnly.ReplaceAllString(p.Text, "")
		}
		n, err := phonenumbers.Parse(written, "")
		if err != nil || !phonenumbers.IsValidNumber(n) {
			bad("not a valid number")
		} else if got := phonenumbers.Format(n, phonenumbers.E164); got != p.Value {
			bad("text parses as " + got)
		}
	case vigil.KindTelegram:
		if p.Value != strings.ToLower(p.Value) || !strings.HasSuffix(strings.ToLower(p.Text), p.Value) || len(p.Value) < 5 {
			bad("text does not end with the lower-case username")
		}
	case vigil.KindOnion:
		if !validOnion(p.Value) || !strings.Contains(p.Text, p.Value) {
			bad("invalid v3 onion")
		}
	case vigil.KindBTC:
		if !validBTC(p.Value) || !strings.Contains(p.Text, p.Value) {
			bad("invalid bitcoin address")
		}
	case vigil.KindETH:
		if !regexp.MustCompile(`^0x[0-9a-f]{40}$`).MatchString(p.Value) || strings.ToLower(p.Text) != p.Value {
			bad("not the lower-case form of the text")
		}
	case vigil.KindTRX:
		if !strings.HasPrefix(p.Value, "T") || !validBase58Check(p.Value) {
			bad("invalid TRON address")
		}
	case vigil.KindPGP:
		fp := strings.ReplaceAll(strings.TrimPrefix(p.Text, "PGP fingerprint: "), " ", "")
		if fp != p.Value || !regexp.MustCompile(`^[0-9A-F]{40}$`).MatchString(p.Value) {
			bad("not the upper-case fingerprint of the text")
		}
	case vigil.KindSession:
		if !regexp.MustCompile(`^05[0-9a-f]{64}$`).MatchString(p.Value) || !strings.Contains(p.Text, p.Value) {
			bad("not a Session ID")
		}
	default:
		bad("unexpected kind")
	}
}

func validOnion(host string) bool {
	name, ok := strings.CutSuffix(host, ".onion")
	if !ok || len(name) != 56 || name != strings.ToLower(name) {
		return false
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(name))
	if err != nil || len(raw) != 35 || raw[34] != 3 {
		return false
	}
	sum := sha3.Sum256(append(append([]byte(".onion checksum"), raw[:32]...), 3))
	return sum[0] == raw[32] && sum[1] == raw[33]
}

func validBase58Check(s string) bool {
	n := []byte{}
	for _, c := range []byte(s) {
		d := strings.IndexByte(base58Alphabet, c)
		if d < 0 {
			return false
		}
		carry := d
		for i := len(n) - 1; i >= 0; i-- {
			carry += int(n[i]) * 58
			n[i] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			n = append([]byte{byte(carry)}, n...)
			carry >>= 8
		}
	}
	for _, c := range []byte(s) {
		if c != '1' {
			break
		}
		n = append([]byte{0}, n...)
	}
	if len(n) != 25 {
		return false
	}
	h1 := sha256.Sum256(n[:21])
	h2 := sha256.Sum256(h1[:])
	return bytes.Equal(h2[:4], n[21:])
}

func validBTC(s string) bool {
	if strings.HasPrefix(s, "bc1") {
		var vals []byte
		for _, c := range []byte("bc") {
			vals = append(vals, c>>5)
		}
		vals = append(vals, 0)
		for _, c := range []byte("bc") {
			vals = append(vals, c&31)
		}
		for _, c := range []byte(s[3:]) {
			d := strings.IndexByte(bech32Charset, c)
			if d < 0 {
				return false
			}
			vals = append(vals, byte(d))
		}
		return len(s) == 42 && bech32Polymod(vals) == 1
	}
	return strings.HasPrefix(s, "1") && validBase58Check(s)
}

func TestChecksumHelpersMatchPublishedVectors(t *testing.T) {
	// BIP173, BIP13-era genesis address, EIP-55 and the Tor Project's onion.
	h160, _ := hex.DecodeString("751e76e8199196d454941c45d1b3a323f1433bd6")
	if got, want := bech32Addr(h160), "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"; got != want {
		t.Errorf("bech32Addr = %s, want %s", got, want)
	}
	gen, _ := hex.DecodeString("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")
	if got, want := base58Check(0, gen), "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"; got != want {
		t.Errorf("base58Check = %s, want %s", got, want)
	}
	eth, _ := hex.DecodeString("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
	if got, want := eip55(eth), "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"; got != want {
		t.Errorf("eip55 = %s, want %s", got, want)
	}
	if !validOnion("2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion") {
		t.Error("validOnion rejects the Tor Project's onion")
	}
	if !validBTC("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") || validBTC("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb") {
		t.Error("validBTC is wrong on the genesis address")
	}
}

func TestPlantedContactsAppearOnTheirPagesWithValidValues(t *testing.T) {
	s := New(Config{Seed: 3})
	planted := s.Planted()
	kinds := map[vigil.Kind]int{}
	texts := map[string]string{}
	for _, p := range planted {
		kinds[p.Kind]++
		checkValue(t, p)
		text, ok := texts[p.Path]
		if !ok {
			body, found := s.Page(p.Path)
			if !found {
				t.Fatalf("planted on unknown page %s", p.Path)
			}
			text = visibleText(t, body)
			texts[p.Path] = text
		}
		if !strings.Contains(text, p.Text) {
			t.Errorf("%s %q: text %q not on %s", p.Kind, p.Value, p.Text, p.Path)
		}
	}
	for _, k := range []vigil.Kind{vigil.KindEmail, vigil.KindPhone, vigil.KindTelegram, vigil.KindWhatsApp, vigil.KindOnion, vigil.KindBTC, vigil.KindETH, vigil.KindPGP} {
		if kinds[k] < 2 {
			t.Errorf("only %d %s contacts planted", kinds[k], k)
		}
	}
	if len(planted) < 200 {
		t.Errorf("only %d contacts planted on %d pages", len(planted), len(s.Pages()))
	}
	if got := s.PlantedOn("/"); len(got) != len(s.Signatures()) {
		t.Errorf("index page has %d contacts, want the %d signatures", len(got), len(s.Signatures()))
	}
	if s.PlantedOn("/nope") != nil {
		t.Error("PlantedOn an unknown page is not nil")
	}
}

func TestEveryPhoneInThePoolIsValid(t *testing.T) {
	for k := 0; k < phonePoolSize; k += 7 {
		ph := phoneAt(k, k%4)
		n, err := phonenumbers.Parse(ph.text, "")
		if err != nil || !phonenumbers.IsValidNumber(n) || phonenumbers.Format(n, phonenumbers.E164) != ph.e164 {
			t.Fatalf("pool number %d %q (%s) is not valid", k, ph.text, ph.e164)
		}
	}
}

func TestSignaturesRepeatAndUniquesDoNot(t *testing.T) {
	s := New(Config{})
	pagesOf := map[[2]string]map[string]bool{}
	for _, p := range s.Planted() {
		k := [2]string{string(p.Kind), p.Value}
		if pagesOf[k] == nil {
			pagesOf[k] = map[string]bool{}
		}
		pagesOf[k][p.Path] = true
	}
	sigs := s.Signatures()
	if len(sigs) < 5 {
		t.Fatalf("%d signatures", len(sigs))
	}
	for _, sg := range sigs {
		if n := len(pagesOf[[2]string{string(sg.Kind), sg.Value}]); n < 5 {
			t.Errorf("signature %s %s is on %d pages, want many", sg.Kind, sg.Value, n)
		}
	}
	uniq := s.Unique()
	if len(uniq) < 100 {
		t.Errorf("only %d unique contacts", len(uniq))
	}
	for _, u := range uniq {
		if n := len(pagesOf[[2]string{string(u.Kind), u.Value}]); n != 1 || u.Signature {
			t.Errorf("unique %s %s is on %d pages", u.Kind, u.Value, n)
		}
	}
}

func TestDecoysAreOnPagesAndInvalid(t *testing.T) {
	s := New(Config{})
	decoys := s.Decoys()
	if len(decoys) == 0 {
		t.Fatal("no decoys")
	}
	for _, d := range decoys {
		body, _ := s.Page(d.Path)
		if !bytes.Contains(body, []byte(d.Value)) {
			t.Errorf("decoy %s not on %s", d.Value, d.Path)
		}
		if (d.Kind == vigil.KindOnion && validOnion(d.Value)) || (d.Kind == vigil.KindBTC && validBTC(d.Value)) {
			t.Errorf("decoy %s %s is valid", d.Kind, d.Value)
		}
	}
}

// gray16 is the image scaled to 16x16 grey levels, for rough similarity.
func gray16(img image.Image) [256]float64 {
	var g [256]float64
	var n [256]float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, gg, bb, _ := img.At(x, y).RGBA()
			i := (y-b.Min.Y)*16/b.Dy()*16 + (x-b.Min.X)*16/b.Dx()
			g[i] += float64(r+gg+bb) / 3 / 257
			n[i]++
		}
	}
	for i := range g {
		g[i] /= n[i]
	}
	return g
}

func meanAbsDiff(a, b [256]float64) float64 {
	var d float64
	for i := range a {
		d += math.Abs(a[i] - b[i])
	}
	return d / 256
}

func TestImagesDecodeAreVariedAndNearDuplicatesAreNear(t *testing.T) {
	s := New(Config{NearDuplicates: true})
	ims := s.Images()
	if len(ims) < 100 {
		t.Fatalf("%d images", len(ims))
	}
	decoded := map[string]image.Image{}
	formats := map[string]int{}
	for _, im := range ims {
		rec := get(t, s, http.MethodGet, im.Path)
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), im.Bytes()) {
			t.Fatalf("GET %s: status %d or bytes differ from Bytes()", im.Path, rec.Code)
		}
		img, format, err := image.Decode(bytes.NewReader(im.Bytes()))
		if err != nil {
			t.Fatalf("decode %s: %v", im.Path, err)
		}
		formats[format]++
		if format != im.Format || img.Bounds().Dx() != im.Width || img.Bounds().Dy() != im.Height {
			t.Errorf("%s: %s %v, want %s %dx%d", im.Path, format, img.Bounds(), im.Format, im.Width, im.Height)
		}
		if im.Width < 128 || im.Width > 512 || im.Height < 128 || im.Height > 512 {
			t.Errorf("%s: size %dx%d out of 128..512", im.Path, im.Width, im.Height)
		}
		g := gray16(img)
		var mean, varsum float64
		for _, v := range g {
			mean += v / 256
		}
		for _, v := range g {
			varsum += (v - mean) * (v - mean) / 256
		}
		if math.Sqrt(varsum) < 8 {
			t.Errorf("%s is nearly flat (block stddev %.1f)", im.Path, math.Sqrt(varsum))
		}
		if len(im.PagePaths) == 0 {
			t.Errorf("%s is on no page", im.Path)
		}
		for _, p := range im.PagePaths {
			body, _ := s.Page(p)
			if !bytes.Contains(body, []byte(`src="`+im.Path+`"`)) {
				t.Errorf("%s not referenced by %s", im.Path, p)
			}
		}
		decoded[im.Path] = img
	}
	if formats["png"] == 0 || formats["jpeg"] == 0 {
		t.Errorf("formats %v, want both png and jpeg", formats)
	}
	near := 0
	for i, im := range ims {
		if im.NearDuplicateOf == "" {
			if i > 0 && ims[i-1].NearDuplicateOf == "" {
				if d := meanAbsDiff(gray16(decoded[im.Path]), gray16(decoded[ims[i-1].Path])); d < 10 {
					t.Errorf("%s and %s look alike (diff %.1f)", im.Path, ims[i-1].Path, d)
				}
			}
			continue
		}
		near++
		if bytes.Equal(im.Bytes(), ims[s.imageByURL[im.NearDuplicateOf]].Bytes()) {
			t.Errorf("%s is byte-identical to its original", im.Path)
		}
		if d := meanAbsDiff(gray16(decoded[im.Path]), gray16(decoded[im.NearDuplicateOf])); d > 6 {
			t.Errorf("%s differs from %s by %.1f, want a near duplicate", im.Path, im.NearDuplicateOf, d)
		}
	}
	if near == 0 {
		t.Error("no near-duplicate images with NearDuplicates set")
	}
}

func TestForPagesSizesTheSite(t *testing.T) {
	for _, n := range []int{50, 100, 600, 1000, 5000, 20000, 100000, 250000} {
		got := ForPages(n).PageCount()
		if math.Abs(float64(got-n)) > 0.1*float64(n) {
			t.Errorf("ForPages(%d) has %d pages", n, got)
		}
	}
	s := New(ForPages(100000))
	if got := len(s.Pages()); got < 90000 || got > 110000 || got != ForPages(100000).PageCount() {
		t.Fatalf("New(ForPages(100000)) has %d pages", got)
	}
	last := s.Pages()[len(s.Pages())-1]
	if rec := get(t, s, http.MethodGet, last); rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", last, rec.Code)
	}
}

func TestServeOnLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := Serve(ln, Config{Kind: "market"})
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/market/listing/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`class="listing-detail"`)) {
		t.Fatalf("GET listing: %d %.200s", resp.StatusCode, body)
	}
}

var (
	_ = png.Decode
	_ = jpeg.Decode
)

func BenchmarkServePage(b *testing.B) {
	s := New(ForPages(20000))
	pages := s.Pages()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req.URL.Path = pages[i%len(pages)]
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		i++
	}
}

func BenchmarkImage(b *testing.B) {
	s := New(Config{ImageEvery: 1})
	for i := 0; b.Loop(); i++ {
		_ = s.encodeImage(i % len(s.images))
	}
}
