package demo

// rnd is a small deterministic generator (splitmix64). Its sequence is fixed
// by this file, so content does not change with the Go release.
type rnd struct{ s uint64 }

// newRnd seeds a generator from the site seed and a key that names the thing
// being generated (for instance the kind and number of a page).
func newRnd(seed int64, key ...uint64) rnd {
	r := rnd{s: uint64(seed) ^ 0x9e3779b97f4a7c15}
	for _, k := range key {
		r.s ^= k
		r.next()
	}
	return r
}

func (r *rnd) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn is uniform-ish in [0, n); n must be positive.
func (r *rnd) intn(n int) int { return int(r.next() % uint64(n)) }

// chance is true with probability p.
func (r *rnd) chance(p float64) bool { return float64(r.next()>>11)/(1<<53) < p }

func (r *rnd) pick(list []string) string { return list[r.intn(len(list))] }

// Keys that separate the generators of different things.
const (
	keyPage uint64 = iota + 1
	keyThread
	keyPost
	keyUser
	keyListing
	keyVendor
	keyPlant
	keySignature
	keyImage
	keyDecoy
)

type section struct{ slug, name, blurb string }

var boards = []section{
	{"general", "General discussion", "Introductions, news and everything else."},
	{"jobs-abroad", "Jobs abroad", "Work offers in hospitality, construction, care and seasonal work."},
	{"services", "Services", "Drivers, translators, couriers and other services."},
	{"documents", "Documents & visas", "Visa help, translations and paperwork."},
	{"travel", "Travel & housing", "Tickets, rooms and apartments."},
	{"off-topic", "Off-topic", "Anything that fits nowhere else."},
}

var categories = []section{
	{"services", "Services", "Personal and business services."},
	{"jobs", "Jobs abroad", "Agencies and employers hiring abroad."},
	{"documents", "Documents", "Translation, notary and visa assistance."},
	{"travel", "Travel", "Tickets, transfers and accommodation."},
	{"digital", "Digital goods", "Accounts, software and guides."},
	{"misc", "Miscellaneous", "Everything else."},
}

var (
	adjectives = []string{"silent", "quick", "blue", "amber", "northern", "lucky", "quiet", "golden", "iron", "misty", "swift", "velvet", "coral", "cedar", "lunar", "rusty"}
	nouns      = []string{"fox", "harbor", "raven", "maple", "river", "falcon", "pine", "otter", "comet", "willow", "lantern", "anchor", "meadow", "badger", "heron", "orchid"}
	firstNames = []string{"lena", "marco", "ana", "viktor", "sofia", "david", "mila", "omar", "irina", "paul", "nadia", "tomas", "elena", "jonas", "rosa", "karim"}
	lastNames  = []string{"kovac", "silva", "novak", "rossi", "petrov", "meyer", "costa", "horvat", "weber", "popescu", "moreau", "nilsen", "garcia", "dumitru", "larsen", "ionescu"}
	countries  = []string{"Germany", "Spain", "Italy", "the UK", "Poland", "the Netherlands", "Dubai", "Canada", "Austria", "Portugal", "Greece", "Cyprus"}
	cities     = []string{"Berlin", "Madrid", "Milan", "London", "Warsaw", "Rotterdam", "Vienna", "Lisbon", "Athens", "Limassol", "Toronto", "Munich"}
	jobs       = []string{"hotel staff", "waitresses", "cleaners", "farm workers", "care assistants", "drivers", "models", "dancers", "nannies", "warehouse workers", "construction workers", "kitchen helpers"}
	services   = []string{"translation", "airport transfer", "visa assistance", "apartment search", "document notarisation", "CV writing", "phone unlocking", "bank account help", "courier delivery", "tax paperwork"}
	listingAds = []string{
		"%s in %s – fast and discreet",
		"Work offer: %s wanted for %s",
		"%s, same week, %s",
		"Verified %s service (%s)",
		"%s package for %s",
	}
	threadTitles = []string{
		"Looking for %s work in %s",
		"Anyone tried the agency hiring %s for %s?",
		"Need %s in %s, who can help?",
		"Review: %s offer in %s",
		"[WTB] %s for %s",
		"Warning about %s scam in %s",
	}
	sentences = []string{
		"Contract is six months, accommodation and flights are arranged by the agency.",
		"No experience needed, training on arrival.",
		"Payment half upfront, half after delivery, as usual.",
		"I have done this route many times, no problems so far.",
		"Send your age, photo and passport country, we reply in 24 hours.",
		"Prices are negotiable for groups.",
		"Be careful, some people here are not who they say they are.",
		"Documents are ready in about ten working days.",
		"Salary is paid in cash every week, housing is deducted.",
		"We also help with tickets and the first month of rent.",
		"Please only serious inquiries, no time wasters.",
		"Thanks for the info, sent you a message.",
		"Still available? Interested for two people.",
		"Bump. Offer is still open until the end of the month.",
		"Escrow accepted, PGP preferred for sensitive details.",
		"Girls and boys 18+ welcome, language not required.",
	}
	shipsTo = []string{"Worldwide", "EU only", "UK and EU", "North America", "Middle East", "Digital delivery"}
)
