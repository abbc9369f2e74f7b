package contacts

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The labelled corpus in testdata/extract/corpus is written by this
// deterministic generator: go test ./extractors/contacts -run TestCorpus -gen.
// Every address and key in it is built with a real checksum by the encoders
// in encode_test.go; every negative is something a naive extractor reports.

var gen = flag.Bool("gen", false, "regenerate testdata/extract/corpus")

const corpusDir = "../../testdata/extract/corpus"

type label struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

type labels struct {
	Region    string     `json:"region,omitempty"`
	URL       string     `json:"url"`
	Findings  []label    `json:"findings"`
	Negatives []negative `json:"negatives"`
}

// item is one piece of a page: HTML and the findings it must yield.
type item struct {
	html string
	want []label
}

func lb(kind, value string) label { return label{kind, value} }

type pageGen struct {
	r      *rand.Rand
	n      int
	region string
}

var (
	firstNames    = []string{"anna", "bella", "chloe", "daria", "elena", "fiona", "gina", "hana", "irina", "julia", "katya", "lena", "mila", "nadia", "olga", "paula", "rosa", "sofia", "tanya", "vera", "yulia", "zara", "marco", "ivan", "omar", "li", "kenji", "ahmed", "pedro", "tomas"}
	mailHostsList = []string{"gmail.com", "protonmail.com", "yandex.ru", "mail.ru", "outlook.com", "tutanota.com", "cock.li", "yahoo.co.uk", "gmx.de", "web.de", "proton.me", "onionmail.org", "agency-jobs.net", "modelwork.biz"}
)

// intlPhones are written international numbers; the E.164 value is the
// digits. The last two digits vary per use.
var intlPhones = []string{
	"+44 7911 1234%02d", "+1 (415) 555-01%02d", "+1-212-555-01%02d", "+49 30 123456%02d", "+33 6 12 34 56 %02d",
	"+7 (495) 123-45-%02d", "+86 138 0013 80%02d", "+91 98765 432%02d", "+55 11 91234-56%02d", "+234 803 123 45%02d",
	"+63 917 123 45%02d", "+66 81 234 56%02d", "+84 91 234 56 %02d", "+52 55 1234 56%02d", "+61 412 345 6%02d",
	"+81 90-1234-56%02d", "+34 612 34 56 %02d", "+39 312 345 67%02d", "+380 50 123 45%02d", "+48 512 345 6%02d",
	"+90 532 123 45 %02d", "+971 50 123 45%02d", "+27 82 123 45%02d", "+254 712 3456%02d", "+40 721 234 5%02d",
	"0044 7911 1234%02d", "+1 702.555.01%02d", "+44 20 7946 09%02d",
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func (g *pageGen) name() string { return firstNames[g.r.IntN(len(firstNames))] }

func (g *pageGen) uniq() int { g.n++; return g.n }

// phone returns a written number and its E.164 value.
func (g *pageGen) phone() (string, string) {
	u := g.uniq() % 100
	if g.region != "" && g.region != "US" {
		switch g.region {
		case "GB":
			return fmt.Sprintf("07911 1234%02d", u), fmt.Sprintf("+447911 1234%02d", u)
		case "DE":
			return fmt.Sprintf("0151 234567%02d", u), fmt.Sprintf("+49151234567%02d", u)
		case "FR":
			return fmt.Sprintf("06 12 34 56 %02d", u), fmt.Sprintf("+336123456%02d", u)
		case "BR":
			return fmt.Sprintf("(11) 91234-56%02d", u), fmt.Sprintf("+55119123456%02d", u)
		}
	}
	if g.r.IntN(3) == 0 {
		forms := []string{"(415) 555-01%02d", "415-555-01%02d", "415.555.01%02d", "41555501%02d", "1-646-555-01%02d"}
		w := fmt.Sprintf(forms[g.r.IntN(len(forms))], u)
		d := digitsOf(w)
		if len(d) == 10 {
			d = "1" + d
		}
		return w, "+" + d
	}
	w := fmt.Sprintf(intlPhones[g.r.IntN(len(intlPhones))], u)
	d := digitsOf(w)
	d = strings.TrimPrefix(d, "00")
	return w, "+" + d
}

func e164(v string) string { return "+" + digitsOf(v) }

func (g *pageGen) email() item {
	local := fmt.Sprintf("%s%d", g.name(), g.uniq())
	if g.r.IntN(3) == 0 {
		local = g.name() + "." + g.name()
	}
	host := mailHostsList[g.r.IntN(len(mailHostsList))]
	value := local + "@" + host
	hb := strings.Split(host, ".")
	var html string
	switch g.r.IntN(9) {
	case 0:
		html = "Email: " + value
	case 1:
		html = "mail " + local + " [at] " + strings.Join(hb, " [dot] ")
	case 2:
		html = "write " + local + "(at)" + strings.Join(hb, "(dot)")
	case 3:
		html = "contact " + local + " at " + strings.Join(hb, " dot ")
	case 4:
		html = local + "<span>@</span>" + hb[0] + "<b>." + strings.Join(hb[1:], ".") + "</b>"
	case 5:
		html = "E-mail: " + local + "&#64;" + host
	case 6:
		html = `<a href="mailto:` + strings.ToUpper(local[:1]) + local[1:] + "@" + host + `?subject=job">write to me</a>`
	case 7:
		html = "EMAIL " + strings.ToUpper(value)
	default:
		html = "reach me: " + local + " {at} " + host
	}
	return item{html, []label{lb("email", value)}}
}

func (g *pageGen) phoneItem() item {
	w, v := g.phone()
	v = e164(v)
	switch g.r.IntN(7) {
	case 0:
		return item{"WhatsApp: " + w, []label{lb("phone", v), lb("whatsapp", v)}}
	case 1:
		return item{`<a href="https://wa.me/` + v[1:] + `">Chat on WhatsApp</a>`, []label{lb("phone", v), lb("whatsapp", v)}}
	case 2:
		return item{"Signal: " + w, []label{lb("phone", v), lb("signal", v)}}
	case 3:
		return item{`<a href="tel:` + v + `">Call now</a>`, []label{lb("phone", v)}}
	case 4:
		return item{"Call or text " + w + " anytime", []label{lb("phone", v)}}
	default:
		return item{"Tel.&nbsp;" + w, []label{lb("phone", v)}}
	}
}

func (g *pageGen) handle() item {
	n := fmt.Sprintf("%s_%s%d", g.name(), g.name(), g.uniq())
	switch g.r.IntN(12) {
	case 0:
		return item{"Telegram: @" + strings.ToUpper(n[:1]) + n[1:], []label{lb("telegram", n)}}
	case 1:
		return item{"TG - @" + n, []label{lb("telegram", n)}}
	case 2:
		return item{"join t.me/" + n + " for updates", []label{lb("telegram", n)}}
	case 3:
		return item{`<a href="https://t.me/` + n + `">our channel</a>`, []label{lb("telegram", n)}}
	case 4:
		return item{"Wickr me: " + n, []label{lb("wickr", n)}}
	case 5:
		d := strings.ReplaceAll(n, "_", ".")
		return item{"Discord: " + d, []label{lb("discord", d)}}
	case 6:
		s := n[:min(len(n), 12)]
		s = strings.TrimRight(s, "_")
		return item{"Snapchat: " + s, []label{lb("snapchat", s)}}
	case 7:
		return item{"Kik: " + n[:min(len(n), 20)], []label{lb("kik", n[:min(len(n), 20)])}}
	case 8:
		return item{"WeChat ID: " + n[:min(len(n), 20)], []label{lb("wechat", n[:min(len(n), 20)])}}
	case 9:
		s := strings.ReplaceAll(n, "_", "") + fmt.Sprintf(".%02d", g.r.IntN(90)+10)
		return item{"Signal: " + s, []label{lb("signal", s)}}
	case 10:
		s := makeSession(n)
		return item{"Session ID: " + s, []label{lb("session", s)}}
	default:
		s := n[:min(len(n), 14)]
		s = strings.TrimRight(s, "_")
		return item{`add me <a href="https://www.snapchat.com/add/` + s + `">on snap</a>`, []label{lb("snapchat", s)}}
	}
}

func (g *pageGen) crypto() item {
	seed := fmt.Sprintf("c%d", g.uniq())
	switch g.r.IntN(11) {
	case 0:
		a := makeBTC(seed, false)
		return item{"BTC: " + a, []label{lb("btc", a)}}
	case 1:
		a := makeBTC(seed, true)
		return item{"Bitcoin (escrow): <code>" + a + "</code>", []label{lb("btc", a)}}
	case 2:
		a := makeSegwit(seed, 0, 20)
		return item{"pay to " + a + ".", []label{lb("btc", a)}}
	case 3:
		a := makeSegwit(seed, 1, 32)
		return item{"taproot " + a, []label{lb("btc", a)}}
	case 4:
		a := makeETH(seed)
		return item{"ETH/USDT (ERC20): " + a, []label{lb("eth", strings.ToLower(a))}}
	case 5:
		a := strings.ToLower(makeETH(seed))
		return item{"eth " + a, []label{lb("eth", a)}}
	case 6:
		a := makeXMR(seed, 18)
		return item{"XMR only: <pre>" + a + "</pre>", []label{lb("xmr", a)}}
	case 7:
		a := makeXMR(seed, 42)
		return item{"Monero subaddress " + a, []label{lb("xmr", a)}}
	case 8:
		a := makeTRX(seed)
		return item{"USDT TRC20: " + a, []label{lb("trx", a)}}
	case 9:
		key, fp := makePGPKey(seed, "vendor")
		return item{"<h3>PGP</h3><pre>" + key + "</pre>", []label{lb("pgp", fp)}}
	default:
		_, fp := makePGPKey(seed, "vendor")
		return item{"Key fingerprint: " + groupFP(fp), []label{lb("pgp", fp)}}
	}
}

func (g *pageGen) onion() item {
	o := makeOnion(fmt.Sprintf("o%d", g.uniq()))
	switch g.r.IntN(3) {
	case 0:
		return item{"Mirror: http://" + o + "/", []label{lb("onion", o)}}
	case 1:
		return item{`<a href="http://` + o + `/login">mirror 2</a>`, []label{lb("onion", o)}}
	default:
		return item{"new address " + strings.ToUpper(o[:10]) + o[10:], []label{lb("onion", o)}}
	}
}

// negative returns text that holds no contact, and its class.
func (g *pageGen) negative() negative {
	u := g.uniq()
	switch g.r.IntN(22) {
	case 0:
		return negative{"datetime", fmt.Sprintf("Posted 2024-%02d-%02d 14:%02d", u%12+1, u%28+1, u%60)}
	case 1:
		return negative{"date", fmt.Sprintf("Updated %02d.%02d.2023", u%28+1, u%12+1)}
	case 2:
		return negative{"software-version", fmt.Sprintf("client v%d.%d.%d (build 10.0.19045.%d)", u%5, u%20, u%9, 2000+u)}
	case 3:
		return negative{"order-number", fmt.Sprintf("Order #41555501%02d shipped", u%100)}
	case 4:
		return negative{"price", fmt.Sprintf("Price: $1,%03d.00 or %d 155 550 €", u%1000, u%9+1)}
	case 5:
		return negative{"ipv4", fmt.Sprintf("node 10.%d.%d.%d:8080", u%255, (u*7)%255, (u*13)%255)}
	case 6:
		return negative{"tx-hash", "tx 0x" + fmt.Sprintf("%x", seedBytes(fmt.Sprint("tx", u), 32)) + " confirmed"}
	case 7:
		return negative{"hash-sha256", "sha256 " + fmt.Sprintf("%x", seedBytes(fmt.Sprint("sh", u), 32))}
	case 8:
		return negative{"email-image-filename", `<img src="photo@2x.png" alt="photo"> banner@2x.png`}
	case 9:
		return negative{"prose-at", "Look at example.com for details, arrive at 5 pm"}
	case 10:
		return negative{"btc-bad-checksum", "old wallet " + flip(makeBTC(fmt.Sprint("n", u), false), 10) + " (typo)"}
	case 11:
		a := makeETH(fmt.Sprint("ne", u))
		return negative{"eth-bad-eip55", "do not use " + flipCase(a)}
	case 12:
		return negative{"onion-bad-checksum", "dead mirror " + flip(makeOnion(fmt.Sprint("no", u)), 20)}
	case 13:
		return negative{"xmr-bad-checksum", "xmr " + flip(makeXMR(fmt.Sprint("nx", u), 18), 50)}
	case 14:
		return negative{"tracking-number", fmt.Sprintf("Invoice 2024-%06d, tracking 9400 1000 0000 0000 %04d 00", u, u%10000)}
	case 15:
		return negative{"card-number", "Card 4111 1111 1111 1111 exp 12/27"}
	case 16:
		return negative{"handle-prose", "I prefer Telegram, message me there. Snap: none"}
	case 17:
		return negative{"isbn-zip", fmt.Sprintf("ISBN 978-3-16-1484%02d-0, ZIP 9410%d", u%100, u%10)}
	case 18:
		return negative{"git-sha", "git commit " + fmt.Sprintf("%x", seedBytes(fmt.Sprint("g", u), 20))}
	case 19:
		return negative{"block-height", fmt.Sprintf("Block height 84%04d, fee 0.000%d BTC", u%10000, u%9+1)}
	case 20:
		return negative{"trx-bad-checksum", "trx " + flip(makeTRX(fmt.Sprint("nt", u)), 12)}
	default:
		return negative{"room-time-percent", fmt.Sprintf("Room %d, call at %d:30, %d%% off", u%500, u%12+1, u%90)}
	}
}

// flipCase changes the case of one letter of a checksummed address.
func flipCase(a string) string {
	b := []byte(a)
	for i := 2; i < len(b); i++ {
		if b[i] >= 'a' && b[i] <= 'f' {
			b[i] -= 'a' - 'A'
			return string(b)
		}
		if b[i] >= 'A' && b[i] <= 'F' {
			b[i] += 'a' - 'A'
			return string(b)
		}
	}
	return a
}

var pageKinds = []string{"forum", "listing", "recruit", "vendor"}

func (g *pageGen) page(i int) (string, labels) {
	kind := pageKinds[i%len(pageKinds)]
	var items []item
	add := func(it item) { items = append(items, it) }
	pick := []func() item{g.email, g.phoneItem, g.handle, g.crypto, g.onion}
	switch kind {
	case "recruit":
		add(g.phoneItem())
		add(g.handle())
		if g.r.IntN(2) == 0 {
			add(g.email())
		}
	case "vendor":
		add(g.crypto())
		add(g.crypto())
		add(g.onion())
	case "listing":
		add(g.crypto())
		add(g.handle())
	}
	for k := g.r.IntN(3) + 1; k > 0; k-- {
		add(pick[g.r.IntN(len(pick))]())
	}
	var negs []negative
	for k := g.r.IntN(3) + 2; k > 0; k-- {
		negs = append(negs, g.negative())
	}
	var b strings.Builder
	title := fmt.Sprintf("%s page %d", kind, i)
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><title>%s</title><style>.p{color:#333}</style>"+
		"<script>var support='help@tracker.invalid'; var n=4155550199;</script></head><body>\n", title)
	fmt.Fprintf(&b, "<nav><a href=\"/\">Home</a> | <a href=\"/rules\">Rules</a></nav>\n<h1>%s</h1>\n", title)
	var l labels
	l.Region = g.region
	l.URL = fmt.Sprintf("http://site%d.example/%s/%d", i%7, kind, i)
	for k, it := range items {
		switch kind {
		case "forum":
			fmt.Fprintf(&b, "<div class=\"post\"><div class=\"author\">%s%d</div><div class=\"body\"><p>Re: thread %d</p><p>%s</p></div>"+
				"<div class=\"sig\">%s</div></div>\n", g.name(), k, i, it.html, negs[k%len(negs)].Text)
		case "listing":
			fmt.Fprintf(&b, "<table class=\"listing\"><tr><th>Item</th><td>Lot %d</td></tr><tr><th>Contact</th><td>%s</td></tr>"+
				"<tr><th>Note</th><td>%s</td></tr></table>\n", k, it.html, negs[k%len(negs)].Text)
		case "recruit":
			fmt.Fprintf(&b, "<section><p>Hiring now! Work abroad, visa and travel arranged. %s</p><p>%s</p></section>\n",
				it.html, negs[k%len(negs)].Text)
		default:
			fmt.Fprintf(&b, "<div class=\"profile\"><ul><li>%s</li><li>%s</li></ul></div>\n", it.html, negs[k%len(negs)].Text)
		}
		l.Findings = append(l.Findings, it.want...)
	}
	for _, n := range negs {
		fmt.Fprintf(&b, "<footer><small>%s</small></footer>\n", n.Text)
	}
	l.Negatives = negs
	b.WriteString("</body></html>\n")
	return b.String(), l
}

// generateCorpus writes the corpus pages and their labels.
func generateCorpus(t *testing.T) {
	if err := os.MkdirAll(corpusDir, 0o755); err != nil {
		t.Fatal(err)
	}
	regions := []string{"", "", "", "", "US", "GB", "DE", "FR", "BR"}
	for i := 0; i < 160; i++ {
		g := &pageGen{r: rand.New(rand.NewPCG(uint64(i), 42)), n: i * 100, region: regions[i%len(regions)]}
		html, l := g.page(i)
		base := filepath.Join(corpusDir, fmt.Sprintf("%03d-%s", i, pageKinds[i%len(pageKinds)]))
		js, _ := json.MarshalIndent(l, "", "  ")
		if err := os.WriteFile(base+".html", []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(base+".json", append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
