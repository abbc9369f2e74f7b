package contacts

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"vigil"
)

// Phone candidates: at most this many digits (more with an international
// prefix "00"/"011"), bytes and digit groups.
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
	maxPhoneBytes  = 32
	maxPhoneGroups = 12
)

// phoneCand is a phone-shaped run of text: digit groups joined by short
// runs of " -./()". Group k is text[gs[k]:ge[k]]; the separator before it
// is text[ge[k-1]:gs[k]].
type phoneCand struct {
	start, end int
	n          int
	gs, ge     [maxPhoneGroups]int
	digits     int
	cut        bool // the run of digit groups goes on after end
}

func (p *phoneCand) group(t string, k int) string { return t[p.gs[k]:p.ge[k]] }
func (p *phoneCand) sep(t string, k int) string   { return t[p.ge[k-1]:p.gs[k]] }

// uniform reports whether every separator of p is the same.
func (p *phoneCand) uniform(t string) bool {
	for k := 2; k < p.n; k++ {
		if p.sep(t, k) != p.sep(t, 1) {
			return false
		}
	}
	return true
}

// phones finds phone numbers: runs of digit groups with the separators people
// use, checked against phone metadata for the number's country (or the
// configured region), and not dates, IP addresses, versions, prices or
// order numbers. A number after a WhatsApp or Signal keyword is also a
// finding of that kind.
//
// A candidate that fails is one token (an IP address, a card or tracking
// number, a number with an unassigned country code): no part of it is read
// again as a phone, unless its separators change inside it ("05.01.2024
// 0151 2345678"), where reading starts again after the change.
func (c *collector) phones() {
	t := c.text
	prevEnd := 0
	var p phoneCand
	for i := 0; i < len(t); {
		ch := t[i]
		if !isDigit(ch) && ch != '+' && ch != '(' {
			i++
			continue
		}
		if !scanPhone(t, i, &p) {
			i++
			continue
		}
		value, retry := c.phoneAt(&p)
		if value != "" {
			c.add(vigil.KindPhone, value, p.start, p.end)
			ws := max(lineStart(t, i), prevEnd, i-64)
			for _, k := range messengerKeywords(lowerWindow(c.lower[ws:i])) {
				c.add(k, value, p.start, p.end)
			}
			prevEnd = p.end
			i = p.end
			continue
		}
		i = p.end
		if p.cut {
			i = skipDigitRun(t, i) // a byte dump or a long reference: no part of it is a phone
		}
		if retry && !p.cut {
			for k := 2; k < p.n; k++ {
				if p.sep(t, k) != p.sep(t, 1) {
					i = p.gs[k]
					break
				}
			}
		}
	}
}

// scanPhone reads a phone-shaped candidate at t[i:] into p: an optional '+'
// or '(', then digit groups joined by short runs of " -./()". It reports
// false when t[i] cannot start a number.
func scanPhone(t string, i int, p *phoneCand) bool {
	// Left boundary: not inside a word, a decimal or a longer token.
	if i > 0 {
		b := t[i-1]
		if isAlnum(b) || b == '_' || b == '+' || b == '$' || b == '#' || b == '@' || b == '%' || b == '=' || b == '&' ||
			(b == '.' || b == ',' || b == '-' || b == '/' || b == ':') && i > 1 && isDigit(t[i-2]) {
			return false
		}
	}
	j := i
	if t[j] == '+' || t[j] == '(' {
		j++
		if j < len(t) && t[j] == '(' && t[i] == '+' {
			j++
		}
		if j >= len(t) || !isDigit(t[j]) {
			return false
		}
	}
	*p = phoneCand{start: i}
	for j < len(t) {
		k := j
		for k < len(t) && isDigit(t[k]) {
			k++
		}
		p.gs[p.n], p.ge[p.n] = j, k
		p.n++
		p.digits += k - j
		j = k
		// Separator run.
		s := j
		for s < len(t) && s-j < 3 && (t[s] == ' ' || t[s] == '-' || t[s] == '.' || t[s] == '/' || t[s] == '(' || t[s] == ')') {
			s++
		}
		if s == j || s >= len(t) || !isDigit(t[s]) {
			break
		}
		if p.digits >= maxPhoneDigits+2 || j-i > maxPhoneBytes || p.n == maxPhoneGroups {
			p.cut = true
			break
		}
		j = s
	}
	p.end = p.ge[p.n-1]
	if p.end < len(t) && t[p.end] == ')' && strings.IndexByte(t[i:p.end], '(') >= 0 {
		p.end++ // "(0)" style or a closing parenthesis
	}
	return true
}

// skipDigitRun returns the end of the run of digit groups joined by
// " -./" that goes on at t[i:].
func skipDigitRun(t string, i int) int {
	for i < len(t) && (isDigit(t[i]) || (t[i] == ' ' || t[i] == '-' || t[i] == '.' || t[i] == '/') && i+1 < len(t) && isDigit(t[i+1])) {
		i++
	}
	return i
}

// phoneAt validates candidate p and returns its E.164 form, or "" and
// whether a later part of the candidate may still be a number.
func (c *collector) phoneAt(p *phoneCand) (value string, retry bool) {
	t := c.text
	cand := t[p.start:p.end]
	intl := cand[0] == '+' || strings.HasPrefix(cand, "00") || strings.HasPrefix(cand, "011")
	mixed := !intl && !p.uniform(t)
	if p.digits < minPhoneDigits || p.digits > maxPhoneDigits+2 || p.digits > maxPhoneDigits && !intl {
		return "", mixed
	}
	// Right boundary: not followed by a letter, a digit or a decimal part.
	if p.end < len(t) {
		n := t[p.end]
		if isAlnum(n) || n == '@' || n == '%' || n == '_' || (n == ',' || n == '.' || n == ':') && p.end+1 < len(t) && isDigit(t[p.end+1]) {
			return "", false
		}
	}
	if c.otherNumber(p, intl) || c.inURLPath(p.start) {
		return "", mixed
	}
	num, err := phonenumbers.ParseAndKeepRawInput(cand, c.e.region)
	if (err != nil || !phonenumbers.IsValidNumber(num)) && strings.HasPrefix(cand, "00") {
		num, err = phonenumbers.ParseAndKeepRawInput("+"+cand[2:], c.e.region)
	}
	// A number written nationally must carry the trunk prefix where its
	// region writes one (libphonenumber's VALID leniency): "1709563860" is
	// not a German number, "0170 9563860" is.
	if err != nil || !phonenumbers.IsValidNumber(num) || !phonenumbers.IsNationalPrefixPresentIfRequired(num) ||
		phonenumbers.ContainsMoreThanOneSlashInNationalNumber(num, cand) {
		return "", mixed
	}
	return phonenumbers.Format(num, phonenumbers.E164), false
}

// otherNumber reports digit runs shaped or labelled as something else than
// a phone number: dates, IP addresses, versions, pagination, year ranges,
// amounts with thousands separators or a currency, Unix timestamps, and
// numbers after a reference word (order, invoice, tracking, ...) that is
// closer than any phone word.
func (c *collector) otherNumber(p *phoneCand, intl bool) bool {
	t := c.text
	// A number written with its country code is read as a phone whatever
	// follows it: amounts do not start with "+" or "00".
	if intl {
		return false
	}
	if dateIPOrVersion(t, p) || pagination(t, p) || thousands(t, p) || c.money(p.start, p.end) {
		return true
	}
	ref, ph := c.contextWords(p.start)
	if ref > ph {
		return true
	}
	// A bare run of 10 or 13 digits starting with 1 is a Unix time in
	// seconds or milliseconds (2001-2033) unless a phone word labels it.
	return ph < 0 && p.n == 1 && (p.digits == 10 || p.digits == 13) && t[p.start] == '1'
}

// dateIPOrVersion reports dates (2024-01-15, 15.01.2024, 01/15/2024, 2017-2021),
// dotted quads and versions (1.2.3, 10.0.19045.2364).
func dateIPOrVersion(t string, p *phoneCand) bool {
	g := func(k int) string { return p.group(t, k) }
	if p.n == 2 && isYear(g(0)) && isYear(g(1)) && (p.sep(t, 1) == "-" || p.sep(t, 1) == "/") {
		return true // a year range
	}
	if p.n >= 3 {
		a, b, cc := g(0), g(1), g(2)
		if isYear(a) && len(b) <= 2 && len(cc) <= 2 || len(a) <= 2 && len(b) <= 2 && (isYear(cc) || len(cc) == 2 && p.n == 3) {
			return true
		}
	}
	if p.n < 2 {
		return false
	}
	dots, short := true, len(g(0)) <= 3
	for k := 1; k < p.n; k++ {
		dots = dots && p.sep(t, k) == "."
		short = short && len(g(k)) <= 3
	}
	// A number written with dots starts with its trunk prefix 0
	// ("06.12.34.56.78"); an address or version does not.
	return dots && t[p.start] != '0' && (short || p.n >= 4 || len(g(0)) == 1)
}

// pagination reports three or more groups that count up by one ("« 83 84
// 85 86 87 »").
func pagination(t string, p *phoneCand) bool {
	if p.n < 3 {
		return false
	}
	prev := atoiShort(p.group(t, 0))
	for k := 1; k < p.n; k++ {
		v := atoiShort(p.group(t, k))
		if v != prev+1 {
			return false
		}
		prev = v
	}
	return true
}

// thousands reports an amount grouped by thousands with dots or commas
// ("2.479.130", "1,250,000").
func thousands(t string, p *phoneCand) bool {
	if p.n < 3 || len(p.group(t, 0)) > 3 || t[p.start] == '0' {
		return false
	}
	s := p.sep(t, 1)
	if s != "." && s != "," {
		return false
	}
	for k := 1; k < p.n; k++ {
		if p.sep(t, k) != s || len(p.group(t, k)) != 3 {
			return false
		}
	}
	return true
}

func atoiShort(s string) int {
	if len(s) > 6 {
		return -10
	}
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

func isYear(s string) bool {
	return len(s) == 4 && (strings.HasPrefix(s, "19") || strings.HasPrefix(s, "20"))
}

// currencyBefore and currencyAfter are signs and codes written beside an
// amount.
var (
	currencyBefore = []string{"$", "€", "£", "¥", "₽", "₹", "₴", "₺", "₫", "₦", "₱", "฿", "₿", "*", "#", "usd", "eur", "gbp"}
	currencyAfter  = []string{"$", "€", "£", "¥", "₽", "₹", "₴", "₺", "₫", "₦", "₱", "฿", "₿", "%",
		"usd", "usdt", "usdc", "eur", "gbp", "rub", "uah", "vnd", "aed", "try", "inr", "brl", "mxn", "cop", "egp", "kes",
		"ngn", "php", "thb", "pln", "ron", "cny", "rmb", "jpy", "chf", "btc", "xmr", "eth", "trx", "ltc",
		"руб", "грн", "zł", "lei", "元", "円", "บาท", "k ", "km", "kg", "cm", "mm", "mb", "gb"}
)

// money reports a currency sign or code (or a unit) right beside
// text[start:end]. Codes made of letters must stand as words.
func (c *collector) money(start, end int) bool {
	t, l := c.text, c.lower
	b := start
	for b > 0 && t[b-1] == ' ' {
		b--
	}
	for _, s := range currencyBefore {
		if strings.HasSuffix(l[:b], s) && (!isLetter(s[0]) || b == len(s) || !isLetter(l[b-len(s)-1])) {
			return true
		}
	}
	a := end
	for a < len(t) && t[a] == ' ' {
		a++
	}
	for _, s := range currencyAfter {
		if strings.HasPrefix(l[a:], s) && (!isLetter(s[len(s)-1]) || a+len(s) == len(l) || !isLetter(l[a+len(s)])) {
			return true
		}
	}
	return false
}

// referenceWords precede numbers that are not phone numbers: order,
// invoice, tracking, account and other references, in the languages of the
// pages crawled. Matching is on ASCII-lowered text, so non-Latin words are
// listed in the cases they are written in.
var referenceWords = []string{
	"order", "invoice", "inv", "ref", "tracking", "track", "sku", "txid", "tx id", "transaction", "serial",
	"ticket", "item", "lot ", "iban", "account", "acct", "acc ", "card", "isbn", "ean", "zip", "postal",
	"id:", "id #", "id#", "id ", "block", "height", "amount", "total", "price", "btc", "xmr", "eth",
	"usd", "eur", "pid", "uid", "#", "icq", "uin", "nonce", "ts=", "timestamp", "unix", "epoch",
	"bestellung", "rechnung", "sendung", "konto", "auftrag", "kunden", // de
	"commande", "facture", "suivi", "colis", "compte", // fr
	"pedido", "factura", "fatura", "seguimiento", "rastreio", "cuenta", "conta", // es, pt
	"ordine", "fattura", "spedizione", "conto", // it
	"bestelling", "factuur", "rekening", // nl
	"zamówienie", "faktura", "przesyłka", // pl
	"comanda", "comandă", "factură", "cont ", // ro
	"sipariş", "kargo", "hesap", "takip", // tr
	"đơn hàng", "hóa đơn", "vận đơn", "mã đơn", // vi
	"заказ", "счёт", "счет", "трек", "р/с", "накладн", // ru
	"замовлення", "рахун", // uk
	"طلب", "فاتورة", "التتبع", "حساب", // ar
	"单号", "订单", "发票", "账号", "快递", "運単", "注文", "請求", "追跡", // zh, ja
	"เลขพัสดุ", "พัสดุ", "คำสั่งซื้อ", "ใบแจ้งหนี้", "บัญชี", // th
}

// phoneWords label phone numbers, in the same languages.
var phoneWords = []string{
	"tel", "phone", "call", "text", "sms", "whatsapp", "signal", "viber", "mob", "cell", "contact", "wa:", "wa ",
	"hotline", "handy", "anruf", "ruf ", "tél", "appel", "portable", "llam", "móvil", "celular", "ligue", "contato",
	"cellulare", "chiama", "mobiel", "zadzwoń", "komórka", "sunați", "điện thoại", "đt", "gọi",
	"тел", "звон", "моб", "дзвон", "вотсап", "ватсап",
	"هاتف", "جوال", "اتصل", "موبايل", "واتس", "电话", "手机", "電話", "携帯", "โทร", "เบอร์", "วอทส์แอพ",
	"📞", "☎", "📱", "📲",
}

// contextWords returns the offsets of the last reference word and the last
// phone word in the text shortly before start, on its line (-1 for none).
// A word counts where no ASCII letter precedes it ("hotel" is not "tel").
func (c *collector) contextWords(start int) (ref, ph int) {
	l := c.lower
	ws := max(lineStart(l, start), start-48)
	for ws < start && ws > 0 && !isRuneStart(l[ws]) {
		ws++
	}
	w := lowerWindow(l[ws:start])
	return lastWord(w, referenceWords), lastWord(w, phoneWords)
}

// lowerWindow lowers the non-ASCII letters of w too (w is already
// ASCII-lowered): "Заказ", "Đơn hàng".
func lowerWindow(w string) string {
	for i := 0; i < len(w); i++ {
		if w[i] >= 0x80 {
			return strings.ToLower(w)
		}
	}
	return w
}

// lastWord returns the offset in w of the last of words that starts a word,
// or -1.
func lastWord(w string, words []string) int {
	last := -1
	for _, s := range words {
		for e := len(w); ; {
			i := strings.LastIndex(w[:e], s)
			if i <= last {
				break
			}
			if i == 0 || !isLetter(w[i-1]) {
				last = i
				break
			}
			e = i + len(s) - 1
		}
	}
	return last
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// inURLPath reports whether text[start] is inside a URL path or query
// (messenger links are read by urlHandles).
func (c *collector) inURLPath(start int) bool {
	l := c.lower
	for ts := start; ts > 0 && start-ts < 200; ts-- {
		switch l[ts-1] {
		case ' ', '\n', '\t':
			return false
		case '/', '=', '?', '&':
			return true
		}
	}
	return false
}

// whatsAppWords name WhatsApp in the languages of the pages crawled.
var whatsAppWords = []string{
	"whatsapp", "whats app", "watsapp", "wasap", "wa.me/", "вотсап", "ватсап",
	"واتساب", "واتس اب", "วอทส์แอพ", "วอทสแอพ",
}

// messengerKeywords returns the kinds named in w (text just before a phone
// number): "WhatsApp: +1...", "Signal/WhatsApp +44...", "WA ➜ 07911...".
func messengerKeywords(w string) []vigil.Kind {
	var ks []vigil.Kind
	wa := strings.HasPrefix(w, "wa:") || strings.Contains(w, " wa:") || strings.Contains(w, "wa ") && hasWord(w, "wa")
	for _, s := range whatsAppWords {
		wa = wa || strings.Contains(w, s)
	}
	if wa {
		ks = append(ks, vigil.KindWhatsApp)
	}
	if hasWord(w, "signal") || strings.Contains(w, "signal.me/") {
		ks = append(ks, vigil.KindSignal)
	}
	return ks
}

// hasWord reports whether w contains word with no letter on either side.
func hasWord(w, word string) bool {
	for off := 0; ; {
		i := strings.Index(w[off:], word)
		if i < 0 {
			return false
		}
		i += off
		if (i == 0 || !isLetter(w[i-1])) && (i+len(word) >= len(w) || !isLetter(w[i+len(word)])) {
			return true
		}
		off = i + 1
	}
}
