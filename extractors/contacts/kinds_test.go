package contacts

import (
	"strings"
	"testing"
)

func TestKnownVectors(t *testing.T) {
	valid := []struct{ kind, addr, value string }{
		{"btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ""},                                                   // genesis block
		{"btc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", ""},                                           // BIP-173
		{"btc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", ""},                       // BIP-350
		{"eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"}, // EIP-55
		{"eth", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"},
		{"xmr", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", ""},
	}
	for _, v := range valid {
		want := v.value
		if want == "" {
			want = v.addr
		}
		fs := extract("", "send to "+v.addr+" thanks")
		if g := strings.Join(got(fs), " "); g != v.kind+":"+want {
			t.Errorf("%s: got %q", v.addr, g)
		}
		// One wrong character must not be a finding.
		for _, i := range []int{5, len(v.addr) / 2, len(v.addr) - 2} {
			bad := flip(v.addr, i)
			if fs := extract("", "send to "+bad+" thanks"); len(fs) != 0 {
				t.Errorf("%s (flipped at %d): got %q", bad, i, got(fs))
			}
		}
	}
}

func TestGeneratedAddresses(t *testing.T) {
	key, fp := makePGPKey("k1", "Vendor <v@example.org>")
	cases := []struct{ kind, text, value string }{
		{"btc", makeBTC("b1", false), ""},
		{"btc", makeBTC("b2", true), ""},
		{"btc", makeSegwit("b3", 0, 20), ""},
		{"btc", makeSegwit("b4", 0, 32), ""},
		{"btc", strings.ToUpper(makeSegwit("b5", 1, 32)), ""},
		{"trx", makeTRX("t1"), ""},
		{"xmr", makeXMR("x1", 18), ""},
		{"xmr", makeXMR("x2", 42), ""},
		{"xmr", makeXMR("x3", 19), ""},
		{"session", makeSession("s1"), ""},
		{"eth", makeETH("e1"), strings.ToLower(makeETH("e1"))},
		{"pgp", key, fp},
		{"pgp", "Fingerprint: " + groupFP(fp), fp},
		{"pgp", "PGP key fingerprint = 0x" + fp, fp},
	}
	for _, tc := range cases {
		want := tc.value
		if want == "" {
			want = tc.text
		}
		fs := extract("", "Payment / contact:\n"+tc.text+"\nThanks.")
		if g := strings.Join(got(fs), " "); g != tc.kind+":"+want {
			t.Errorf("%s %.60q: got %q", tc.kind, tc.text, g)
		}
	}
}

func TestPGPWithoutLineBreaks(t *testing.T) {
	key, fp := makePGPKey("k2", "x <x@y.org>")
	flat := strings.Join(strings.Fields(key), " ")
	fs := extract("", "key: "+flat)
	if g := strings.Join(got(fs), " "); g != "pgp:"+fp {
		t.Errorf("got %q", g)
	}
	if fs[0].Offset != 5 {
		t.Errorf("offset %d", fs[0].Offset)
	}
}

func TestHandles(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Telegram: @Anna_Vip22", []string{"telegram:anna_vip22"}},
		{"tg - @bossman77 for bookings", []string{"telegram:bossman77"}},
		{"join https://t.me/s/NewGirlsDaily now", []string{"telegram:newgirlsdaily"}},
		{"invite t.me/joinchat/AAAAAEXyz and t.me/+AbCdEf", nil},
		{"I prefer telegram preferred over sms", nil},
		{"Wickr me: sweetkate", []string{"wickr:sweetkate"}},
		{"Discord: lina.vip / old tag Lina#0420", []string{"discord:lina.vip"}},
		{"Snapchat: sasha_x", []string{"snapchat:sasha_x"}},
		{"Kik: hotmia99", []string{"kik:hotmia99"}},
		{"WeChat ID: lily_sh88", []string{"wechat:lily_sh88"}},
		{"Signal: nina.42", []string{"signal:nina.42"}},
		{"Signal: +44 7911 123456", []string{"phone:+447911123456", "signal:+447911123456"}},
		{"chat https://wa.me/447911123456", []string{"phone:+447911123456", "whatsapp:+447911123456"}},
		{"snapshot: none", nil},
		{"Contact on Telegram ⇒ @Night_Owl77", []string{"telegram:night_owl77"}},
		{"TG — nightowl77 (replies fast)", []string{"telegram:nightowl77"}},
		{"✈️ @night_owl77 | Instagram ➜ @insta_only", []string{"telegram:night_owl77"}},
		{"Telegram (24h support): @night_owl77", []string{"telegram:night_owl77"}},
		{"Telegram (@night_owl77)", []string{"telegram:night_owl77"}},
		{"Телеграм — @night_owl77, ТГ: owl_backup", []string{"telegram:night_owl77", "telegram:owl_backup"}},
		{"电报：@night_owl77", []string{"telegram:night_owl77"}},
		{"Tele: @night_owl77 but Tele: night_owl77", []string{"telegram:night_owl77"}},
		{"💬 Signal username owl.77, WeChat ID » owl_sh88, 微信号：owlsh99", []string{"signal:owl.77", "wechat:owl_sh88", "wechat:owlsh99"}},
		{"KIK ➜ owl77 · snap → owl.snap · discord ➜ owl_77", []string{"kik:owl77", "snapchat:owl.snap", "discord:owl_77"}},
		{"telegram bot token and telegrammed notes", nil},
		{"Discord 🎮 gaming nights, Telegram 🔥 hotdeals", nil},
	}
	for _, tc := range tests {
		fs := extract("", tc.text)
		if g := strings.Join(got(fs), " "); g != strings.Join(tc.want, " ") {
			t.Errorf("%q: got %q, want %q", tc.text, g, tc.want)
		}
	}
}

func TestLinkFindings(t *testing.T) {
	onion := makeOnion("l1")
	fs := extract("", "Contact anna@example.org",
		"mailto:anna@example.org", "mailto:Other%40Example.org?subject=hi", "tel:+1-415-555-0132",
		"https://wa.me/447911123456", "https://t.me/VipAgency", "http://"+onion+"/market", "http://forum.example/thread/4155550132")
	want := []string{"email:anna@example.org", "email:other@example.org", "phone:+14155550132",
		"phone:+447911123456", "whatsapp:+447911123456", "telegram:vipagency", "onion:" + onion}
	if g := got(fs); strings.Join(g, " ") != strings.Join(want, " ") {
		t.Errorf("got %q\nwant %q", g, want)
	}
	for _, f := range fs[1:] {
		if f.Offset != -1 || !strings.Contains(f.Snippet, ":") {
			t.Errorf("%s from a link: offset %d snippet %q", f.Kind, f.Offset, f.Snippet)
		}
	}
	if fs[0].Offset != 8 {
		t.Errorf("text finding offset %d", fs[0].Offset)
	}
}

func TestGPGListing(t *testing.T) {
	_, fp := makePGPKey("k3", "x <x@y.org>")
	listing := "pub   rsa3072 2019-10-09 [SC]\n      " + fp + "\nuid           [ultimate] x (signing)\n" +
		"sub   rsa3072 2019-10-09 [E]\n      " + strings.Repeat("AB12", 10) + "\n"
	fs := extract("", "Verify my key:\n"+listing)
	if g := strings.Join(got(fs), " "); g != "pgp:"+fp {
		t.Errorf("got %q", g)
	}
	for _, s := range []string{"git commit " + strings.ToLower(fp), "pub 2019 notes\n      " + fp} {
		if fs := extract("", s); len(fs) != 0 {
			t.Errorf("%q: got %q", s, got(fs))
		}
	}
}

func TestHardNegatives(t *testing.T) {
	txhash := "0x" + strings.Repeat("ab12", 16)
	texts := []string{
		"tx " + txhash + " confirmed in block 840000",
		"sha1 " + strings.Repeat("a1b2", 10) + " of the file",
		"version 2.14.1 released 2024-03-05; build 10.0.19045.2364",
		"Ships from 10.0.0.1 and 192.168.1.254",
		"Order #98765432101 total $1,299.00 (ref 4155550132)",
		"logo@2x.png header@3x.webp",
		"eth 0x0000000000000000000000000000000000000000",
		"mixed-case bad checksum 0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	}
	for _, s := range texts {
		if fs := extract("", s); len(fs) != 0 {
			t.Errorf("%q: got %q", s, got(fs))
		}
	}
}
