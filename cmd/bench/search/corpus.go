package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"vigil"
)

// corpusVersion names the generator: a change to anything that alters the
// generated documents, findings or queries must change it, so that a cached
// index built by an older generator is rebuilt instead of reused.
const corpusVersion = "search-v1"

// crawlID is the one crawl every synthetic page belongs to.
const crawlID = "crawl-bench-search"

// corpus generates synthetic forum and market pages: sentences of words drawn
// from a Zipf-distributed vocabulary of the pages' domain (jobs, travel,
// documents, services), on 300 onion sites of Zipf-distributed size, with
// contacts (phone, e-mail, Telegram) planted in the text. Contacts come from
// a pool of docs/4 contacts drawn Zipf too, so a few appear on thousands of
// pages and most on one or two: like vendors' signatures and one-off ads.
//
// Page k is a function of k and the corpus size (which sets the contact pool)
// alone: each page has its own seeded generator, so a query refers to a page
// or contact by number and regenerates it instead of keeping the corpus.
type corpus struct {
	n        int
	sites    []string
	contacts int
}

func newCorpus(n int) *corpus {
	c := &corpus{n: n, contacts: max(10, n/4)}
	r := rand.New(rand.NewPCG(7, 7))
	const b32 = "abcdefghijklmnopqrstuvwxyz234567"
	for range 300 {
		var b strings.Builder
		for range 56 {
			b.WriteByte(b32[r.IntN(32)])
		}
		c.sites = append(c.sites, b.String()+".onion")
	}
	return c
}

// zipf draws from [0, n) with P(i) ∝ 1/(i+1)^s by inverting the continuous
// approximation: cheap, stateless and good enough for a benchmark corpus.
func zipf(r *rand.Rand, n int, s float64) int {
	u := r.Float64()
	// CDF of x^-s on [1, n+1], inverted.
	var x float64
	if a := 1 - s; math.Abs(a) < 1e-9 {
		x = math.Exp(u * math.Log(float64(n+1)))
	} else {
		hi := math.Pow(float64(n+1), a)
		x = math.Pow(1+u*(hi-1), 1/a)
	}
	return min(n-1, max(0, int(x)-1))
}

func (c *corpus) pageRand(k int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(k)+1, 0x5eed))
}

// contact is a planted contact: its kind, normalised value and the text as
// written on the page.
type contact struct {
	kind  vigil.Kind
	value string
	text  string
}

func (c *corpus) contact(i int) contact {
	r := rand.New(rand.NewPCG(uint64(i)+1, 0xc0c0))
	switch i % 3 {
	case 0:
		// A UK mobile number, written with spaces as ads do.
		d := fmt.Sprintf("7%09d", 100000000+(i*7919+r.IntN(1000))%899999999)
		return contact{vigil.KindPhone, "+44" + d, "+44 " + d[:4] + " " + d[4:7] + " " + d[7:]}
	case 1:
		v := fmt.Sprintf("%s.%s%d@%s", firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))], i, mailDomains[r.IntN(len(mailDomains))])
		return contact{vigil.KindEmail, v, v}
	default:
		v := fmt.Sprintf("%s_%s%d", adjectives[r.IntN(len(adjectives))], nouns[r.IntN(len(nouns))], i)
		return contact{vigil.KindTelegram, v, "t.me/" + v}
	}
}

// page returns document k and its findings.
func (c *corpus) page(k int) (vigil.Document, []vigil.Finding) {
	r := c.pageRand(k)
	site := c.sites[zipf(r, len(c.sites), 1.05)] // a few big forums, many small shops
	kind := "thread"
	if k%3 == 0 {
		kind = "listing"
	}
	u := fmt.Sprintf("http://%s/%s/%d", site, kind, k)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d := vigil.Document{
		ID: vigil.DocumentID(crawlID, u), CrawlID: crawlID, Site: site, URL: u, Status: 200,
		ContentType: "text/html", CapturedAt: t0.Add(time.Duration(k) * 31 * time.Second),
	}
	d.Title = title(r)
	var text strings.Builder
	var findings []vigil.Finding
	sentences := 6 + r.IntN(10)
	plants := 0
	switch p := r.IntN(10); {
	case p < 3: // no contact
	case p < 8:
		plants = 1
	default:
		plants = 2 + r.IntN(2)
	}
	at := map[int]bool{}
	for range plants {
		at[r.IntN(sentences)] = true
	}
	for i := range sentences {
		if i > 0 {
			text.WriteByte(' ')
		}
		sentence(r, &text)
		if at[i] {
			ct := c.contact(zipf(r, c.contacts, 1.1))
			text.WriteString(" " + contactLead[r.IntN(len(contactLead))] + " ")
			off := text.Len()
			text.WriteString(ct.text)
			text.WriteByte('.')
			findings = append(findings, vigil.Finding{
				ID: vigil.FindingID(d.ID, ct.kind, ct.value, off), Kind: ct.kind, Value: ct.value,
				DocumentID: d.ID, CrawlID: crawlID, Site: site, URL: u, CapturedAt: d.CapturedAt,
				Offset: off, Snippet: ct.text,
			})
		}
	}
	d.Text = text.String()
	d.Size = len(d.Text) + 2048
	for i := range findings {
		s := max(0, findings[i].Offset-60)
		e := min(len(d.Text), findings[i].Offset+len(findings[i].Snippet)+60)
		findings[i].Snippet = vigil.CleanText(d.Text[s:e])
	}
	return d, findings
}

func title(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("%s wanted in %s", capital(jobs[r.IntN(len(jobs))]), cities[r.IntN(len(cities))])
	case 1:
		return fmt.Sprintf("%s, %s: %s", capital(services[r.IntN(len(services))]), cities[r.IntN(len(cities))], word(r))
	default:
		return fmt.Sprintf("Re: %s %s %s", capital(word(r)), word(r), word(r))
	}
}

func sentence(r *rand.Rand, b *strings.Builder) {
	n := 6 + r.IntN(14)
	for i := range n {
		w := word(r)
		switch {
		case i == 0:
			w = capital(w)
		case r.IntN(40) == 0:
			w = cities[r.IntN(len(cities))]
		case r.IntN(60) == 0:
			w = fmt.Sprintf("%d", 50*(1+r.IntN(60)))
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	b.WriteByte(".!?."[r.IntN(4)])
}

func word(r *rand.Rand) string { return vocab[zipf(r, len(vocab), 1.0)] }

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var contactLead = []string{"Contact", "Write to", "Call", "Message", "Reach me at", "WhatsApp or call", "Details at", "DM"}

var (
	firstNames  = []string{"lena", "marco", "ana", "viktor", "sofia", "david", "mila", "omar", "irina", "paul", "nadia", "tomas", "elena", "jonas", "rosa", "karim", "yuri", "alina", "petra", "sami"}
	lastNames   = []string{"kovac", "silva", "novak", "rossi", "petrov", "meyer", "costa", "horvat", "weber", "popescu", "moreau", "nilsen", "garcia", "dumitru", "larsen", "ionescu"}
	mailDomains = []string{"protonmail.com", "tutanota.com", "mail.ru", "gmail.com", "outlook.com", "cock.li", "yandex.com", "onionmail.org"}
	adjectives  = []string{"silent", "quick", "blue", "amber", "northern", "lucky", "quiet", "golden", "iron", "misty", "swift", "velvet", "coral", "cedar", "lunar", "rusty"}
	nouns       = []string{"fox", "harbor", "raven", "maple", "river", "falcon", "pine", "otter", "comet", "willow", "lantern", "anchor", "meadow", "badger", "heron", "orchid"}
	cities      = []string{"Berlin", "Madrid", "Milan", "London", "Warsaw", "Rotterdam", "Vienna", "Lisbon", "Athens", "Limassol", "Toronto", "Munich", "Dubai", "Bucharest", "Sofia", "Prague"}
	jobs        = []string{"hotel staff", "waitresses", "cleaners", "farm workers", "care assistants", "drivers", "models", "dancers", "nannies", "warehouse workers", "construction workers", "kitchen helpers"}
	services    = []string{"translation", "airport transfer", "visa assistance", "apartment search", "document notarisation", "CV writing", "phone unlocking", "bank account help", "courier delivery", "tax paperwork"}
)

// vocab is the pages' words, most frequent first (rank drives the Zipf
// draw): function words, then the domain's nouns, verbs and adjectives.
var vocab = strings.Fields(`
the and to a of in for is you with on we are it this be your have can at
or will not all our from as by if no they any but one more work new good
only who get me do need just so now also time like us there please free
job jobs offer work visa travel ticket hotel room apartment money pay paid
salary week month day night hours contract agency employer worker workers
girls women young experience english speak documents passport papers
transfer airport flight bus driver car city country abroad europe border
help service services fast safe discreet guaranteed cash advance deposit
euro euros dollars price prices cheap quality trusted verified vendor
vendor's escrow order shipping delivery tracking review reviews feedback
forum thread post reply member members new topic board admin moderator
rules read before posting contact details phone number email telegram
whatsapp signal message private call available today tomorrow weekend
accommodation included food transport provided legal permit residence
card bank account transfer western union crypto bitcoin monero wallet
interview photo photos age height weight open minded friendly serious
hospitality cleaning care elderly children nanny housekeeping massage
dance club bar restaurant kitchen farm harvest season seasonal factory
warehouse construction site building painting driving licence required
no experience needed learn training start immediately urgent hiring
many positions limited places apply send cv details below more info
trust me real not scam legit proof picture video verification needed
sponsor sponsorship invitation letter embassy consulate stamp schengen
stay long short term overstay renew extension translation notary
certified copy original apostille birth certificate diploma marriage
update updated last seen online offline busy reply soon waiting answer
thanks thank everyone anyone know where how much why when which what
problem issue question answer solved closed locked pinned important
warning beware scammer blacklist ban banned report reported police
careful risk safe secure encrypted pgp key fingerprint verify signed
market listing listings category categories shop store stock sold out
restock bulk discount coupon code bonus referral commission percent
friend cousin sister brother family mother father husband wife partner
boyfriend girlfriend arrange arranged pickup meet meeting point station
hostel flat shared bed private bathroom kitchenette rent deposit landlord
`)
