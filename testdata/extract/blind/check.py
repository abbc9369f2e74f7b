#!/usr/bin/env python3
"""Independent validation of the blind corpus's labels.

Re-derives every labelled value from the raw form that the label says is
written on the page, and validates it with well-known third-party
implementations (none of them used by gen.py, which is standard-library only):

  phone, whatsapp   phonenumbers (Google libphonenumber's Python port):
                    parse(written, page region) -> valid -> E.164 == label
  email             email-validator (syntax, no DNS) after de-obfuscation
  btc               base58 (base58check, version 0x00/0x05), bech32 (BIP-173
                    reference, witness v0) and bip_utils (P2PKH, P2SH, P2WPKH,
                    P2TR/bech32m decoders)
  eth               eth-utils (EIP-55) and bip_utils EthAddrDecoder
  xmr               monero (monero-python) and bip_utils XmrAddrDecoder
  trx               base58 (base58check, 0x41) and bip_utils TrxAddrDecoder
  onion             hashlib sha3_256 per rend-spec-v3 (checksum + version 3)
  pgp               pgpy: fingerprints from the armored keys on the page and
                    in keys/pgp_keys.json
  negatives         every broken-checksum negative really fails the same
                    validators; invalid-country-code phones fail phonenumbers;
                    card numbers / IBANs / ISBNs / EANs pass python-stdnum (so
                    they are realistic); in-script / in-style / in-comment
                    negatives are valid contacts that sit only inside
                    <script>, <style> or <!-- --> and nowhere visible.

It also checks that every written form occurs in its page outside
script/style/comments, and scans every page for checksum-valid btc / eth /
xmr / trx / onion strings and plain e-mails that are not labelled (so that no
real contact was planted by accident).  Prints counts per kind, per negative
class and per region; exits 1 on any problem.

    python3 -m venv /tmp/blindvenv && /tmp/blindvenv/bin/pip install -r testdata/extract/blind/requirements.txt
    /tmp/blindvenv/bin/python testdata/extract/blind/check.py
"""
import base64
import collections
import glob
import hashlib
import html
import json
import os
import re
import sys
import unicodedata
import warnings

warnings.simplefilter("ignore")

import base58  # noqa: E402
import bech32  # noqa: E402
import bip_utils  # noqa: E402
import monero.address  # noqa: E402
import phonenumbers  # noqa: E402
import pgpy  # noqa: E402
from email_validator import EmailNotValidError, validate_email  # noqa: E402
from eth_utils import is_address, is_checksum_address  # noqa: E402
from stdnum import ean, iban, isbn, luhn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
problems = []


def problem(page, msg):
    problems.append(f"{page}: {msg}")


# ------------------------------------------------------------------ helpers

def strip_invisible_chars(s):
    """Drop format characters (zero-width space/joiners, word joiner, BOM, soft hyphen, LRM/RLM)."""
    return "".join(c for c in s if unicodedata.category(c) != "Cf")


def to_text(raw):
    """What a reader sees of a raw HTML fragment: tags removed, entities decoded, invisible chars gone."""
    s = re.sub(r"<[^>]*>", "", raw)
    s = html.unescape(s)
    s = strip_invisible_chars(s)
    return s.replace("\xa0", " ")


AT = r"(?:\s*\[\s*at\s*\]\s*|\s*\(\s*at\s*\)\s*|\s*\{\s*at\s*\}\s*|\s*<\s*at\s*>\s*|\s+-at-\s+|\s*\[@\]\s*|\s*\(@\)\s*|\s+at\s+|\s+@\s+)"
DOT = r"(?:\s*\[\s*dot\s*\]\s*|\s*\(\s*dot\s*\)\s*|\s*\{\s*dot\s*\}\s*|\s*<\s*dot\s*>\s*|\s+-dot-\s+|\s*\[\.\]\s*|\s*\(\.\)\s*|\s+dot\s+|\s+\.\s+)"


def deobfuscate_email(raw):
    s = raw[7:] if raw.lower().startswith("mailto:") else raw
    s = to_text(s).strip()
    s = re.sub(AT, "@", s, flags=re.I)
    s = re.sub(DOT, ".", s, flags=re.I)
    return s.lower()


def check_email(page, value, raw):
    got = deobfuscate_email(raw)
    if got != value:
        return f"email written {raw!r} reads as {got!r}, label {value!r}"
    try:
        v = validate_email(got, check_deliverability=False)
    except EmailNotValidError as e:
        return f"email {got!r} invalid: {e}"
    if v.normalized.lower() != value:
        return f"email {value!r} normalises to {v.normalized!r}"
    return None


def phone_input(raw):
    s = raw
    m = re.match(r"^(?:https?://)?(?:wa\.me/|api\.whatsapp\.com/send\?phone=)(\d+)", s)
    if m:
        return "+" + m.group(1)
    if s.startswith("tel:"):
        s = s[4:]
    return to_text(s)


def check_phone(page, value, raw, region):
    s = phone_input(raw)
    try:
        n = phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException as e:
        return f"phone {raw!r} does not parse in {region}: {e}"
    if not phonenumbers.is_valid_number(n):
        return f"phone {raw!r} ({region}) is not a valid number"
    e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
    if e164 != value:
        return f"phone {raw!r} ({region}) is {e164}, label {value}"
    return None


TG_RE = re.compile(r"^[a-z][a-z0-9_]{4,31}$")


def check_telegram(page, value, raw):
    s = to_text(raw)
    m = (re.match(r"^(?:https?://)?(?:t|telegram)\.me/(?:s/)?([A-Za-z0-9_]+)", s)
         or re.match(r"^tg://resolve\?domain=([A-Za-z0-9_]+)", s)
         or re.match(r"^@?([A-Za-z0-9_]+)$", s))
    if not m:
        return f"telegram written {raw!r} not recognised"
    u = m.group(1).lower()
    if u != value:
        return f"telegram {raw!r} reads {u!r}, label {value!r}"
    if not TG_RE.match(u) or u.endswith("_"):
        return f"telegram {u!r} is not a valid username"
    return None


HANDLE_RE = {
    "signal": re.compile(r"^[a-z_][a-z0-9_]{2,31}\.[0-9]{2,9}$"),
    "session": re.compile(r"^05[0-9a-f]{64}$"),
    "wickr": re.compile(r"^[a-z0-9][a-z0-9._-]{4,31}$"),
    "discord": re.compile(r"^(?!.*\.\.)[a-z0-9_.]{2,32}$"),
    "snapchat": re.compile(r"^[a-z][a-z0-9._-]{1,13}[a-z0-9]$"),
    "kik": re.compile(r"^[a-z0-9._]{6,20}$"),
    "wechat": re.compile(r"^[a-z][a-z0-9_-]{5,19}$"),
}


def check_handle(page, kind, value, raw):
    s = to_text(raw)
    s = re.sub(r"^(?:https?://)?snapchat\.com/add/", "", s)
    s = s.lstrip("@")
    if s.lower() != value:
        return f"{kind} {raw!r} reads {s.lower()!r}, label {value!r}"
    if not HANDLE_RE[kind].match(value):
        return f"{kind} {value!r} does not fit the service's username rules"
    return None


def btc_valid(a):
    """Return the address type if a is a valid mainnet address, else None (two implementations must agree)."""
    kinds = []
    try:
        raw = base58.b58decode_check(a)
        if len(raw) == 21 and raw[0] in (0, 5):
            kinds.append("p2pkh" if raw[0] == 0 else "p2sh")
    except Exception:
        pass
    wv, prog = bech32.decode("bc", a)
    if wv == 0:
        kinds.append("p2wpkh" if len(prog) == 20 else "p2wsh")
    second = None
    for name, dec, kw in [("p2pkh", bip_utils.P2PKHAddrDecoder, {"net_ver": b"\x00"}),
                          ("p2sh", bip_utils.P2SHAddrDecoder, {"net_ver": b"\x05"}),
                          ("p2wpkh", bip_utils.P2WPKHAddrDecoder, {"hrp": "bc"}),
                          ("p2tr", bip_utils.P2TRAddrDecoder, {"hrp": "bc"})]:
        try:
            dec.DecodeAddr(a, **kw)
            second = name
        except Exception:
            pass
    if second == "p2tr":
        kinds.append("p2tr")
    if not kinds:
        return None
    if kinds[0] in ("p2pkh", "p2sh", "p2wpkh", "p2tr") and second != kinds[0]:
        problems.append(f"btc {a}: base58/bech32 say {kinds[0]}, bip_utils says {second}")
    return kinds[0]


def eth_valid(a):
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", a) or not is_address(a):
        return False
    body = a[2:]
    if body == body.lower():
        return True
    ok1 = is_checksum_address(a)
    try:
        bip_utils.EthAddrDecoder.DecodeAddr(a)
        ok2 = True
    except Exception:
        ok2 = False
    if ok1 != ok2:
        problems.append(f"eth {a}: eth-utils {ok1} vs bip_utils {ok2}")
    return ok1


def xmr_valid(a):
    try:
        addr = monero.address.address(a)
        kind = type(addr).__name__
    except Exception:
        return False
    try:
        if kind == "IntegratedAddress":
            bip_utils.XmrIntegratedAddrDecoder.DecodeAddr(a, net_ver=b"\x13", payment_id=bytes.fromhex(str(addr.payment_id())))
        else:
            bip_utils.XmrAddrDecoder.DecodeAddr(a, net_ver=b"\x12" if kind == "Address" else b"\x2a")
    except Exception as e:
        problems.append(f"xmr {a}: monero says {kind}, bip_utils says {e}")
        return False
    return True


def trx_valid(a):
    try:
        raw = base58.b58decode_check(a)
    except Exception:
        return False
    if len(raw) != 21 or raw[0] != 0x41:
        return False
    try:
        bip_utils.TrxAddrDecoder.DecodeAddr(a)
    except Exception as e:
        problems.append(f"trx {a}: base58 ok, bip_utils {e}")
        return False
    return True


def onion_valid(host):
    if not host.endswith(".onion") or len(host) != 62:
        return False
    try:
        raw = base64.b32decode(host[:56].upper())
    except Exception:
        return False
    pub, chk, ver = raw[:32], raw[32:34], raw[34:]
    return ver == b"\x03" and hashlib.sha3_256(b".onion checksum" + pub + ver).digest()[:2] == chk


def check_wallet(page, kind, value, raw):
    s = to_text(raw)
    for pre in ("bitcoin:", "monero:"):
        if s.startswith(pre):
            s = s[len(pre):]
    if kind == "eth":
        if s.lower() != value:
            return f"eth {raw!r} != label {value!r}"
        if value != value.lower():
            return f"eth label {value!r} not lower-case"
        return None if eth_valid(s) else f"eth {s!r} invalid (EIP-55)"
    if s != value:
        return f"{kind} written {raw!r} != label {value!r}"
    ok = {"btc": btc_valid, "xmr": xmr_valid, "trx": trx_valid}[kind](s)
    return None if ok else f"{kind} {s!r} fails validation"


def check_onion(page, value, raw):
    s = to_text(raw).lower()
    s = re.sub(r"^https?://", "", s).split("/")[0]
    if s != value:
        return f"onion {raw!r} reads {s!r}, label {value!r}"
    return None if onion_valid(s) else f"onion {s!r} fails the v3 checksum"


POOL = {}


def check_pgp(page, value, raw):
    s = to_text(raw)
    if "BEGIN PGP PUBLIC KEY BLOCK" in s:
        try:
            key, _ = pgpy.PGPKey.from_blob(s)
        except Exception as e:
            return f"pgp armored key does not parse: {e}"
        fp = str(key.fingerprint).replace(" ", "").upper()
        if fp != value:
            return f"pgp armored key is {fp}, label {value}"
        return None
    fp = re.sub(r"\s+", "", s).upper()
    if fp != value:
        return f"pgp printed {raw!r} != {value}"
    if value not in POOL:
        return f"pgp fingerprint {value} is not a key of the pool"
    return None


# ------------------------------------------------------------ negatives

def bad_checksum_ok(cls, t):
    """True when the broken-checksum negative really fails validation."""
    if cls == "btc-bad-checksum":
        return btc_valid(t) is None
    if cls == "eth-bad-eip55":
        return t[2:] != t[2:].lower() and t[2:] != t[2:].upper() and not eth_valid(t)
    if cls == "xmr-bad-checksum":
        return not xmr_valid(t)
    if cls == "trx-bad-checksum":
        return not trx_valid(t)
    if cls == "onion-bad-checksum":
        return not onion_valid(t.lower())
    return True


def invalid_cc_ok(t, region):
    cc = re.match(r"\+(\d+)", t)
    if not cc:
        return False
    try:
        n = phonenumbers.parse(t, region)
    except phonenumbers.NumberParseException:
        return True
    return not phonenumbers.is_valid_number(n)


def hidden_value_valid(t, region):
    """An in-script/style/comment negative must be a genuinely valid contact."""
    if t.startswith("@"):
        return bool(TG_RE.match(t[1:].lower()))
    if "@" in t:
        try:
            validate_email(t, check_deliverability=False)
            return True
        except EmailNotValidError:
            return False
    if t.endswith(".onion"):
        return onion_valid(t)
    if t.startswith("0x"):
        return eth_valid(t)
    if t.startswith(("bc1", "1", "3")) and btc_valid(t):
        return True
    if t.startswith(("4", "8")) and len(t) in (95, 106) and xmr_valid(t):
        return True
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(t, region))
    except phonenumbers.NumberParseException:
        return False


# -------------------------------------------------------------- scanning

INVIS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->", re.S | re.I)


def spans(doc):
    out = []
    for m in INVIS.finditer(doc):
        g = m.group(0).lower()
        out.append((m.start(), m.end(), "<!--" if g.startswith("<!--") else "<script" if g.startswith("<script") else "<style"))
    return out


def occurrences(doc, s):
    i = doc.find(s)
    while i >= 0:
        yield i
        i = doc.find(s, i + 1)


def inside(sp, i, n):
    for a, b, kind in sp:
        if a <= i and i + n <= b:
            return kind
    return None


MAIL_TLDS = {"com", "me", "io", "li", "org", "ru", "jp", "de", "net", "pro", "uk", "br", "fr", "it", "pl", "ro", "cz",
             "lv", "eu", "cc", "cn"}


def scan_unlabelled(page, doc, lab):
    """Checksum-valid strings (and plain e-mails) in the visible page must be labelled."""
    vis = INVIS.sub(" ", doc)
    vis = html.unescape(re.sub(r"<wbr>", "", vis))
    labelled = {(f["kind"], f["value"]) for f in lab["findings"]}
    negtexts = " ".join(n["text"] for n in lab["negatives"])
    for m in re.finditer(r"(?<![A-Za-z0-9])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![A-Za-z0-9])", vis):
        if btc_valid(m.group(0)) and ("btc", m.group(0)) not in labelled:
            problem(page, f"unlabelled valid btc {m.group(0)}")
    for m in re.finditer(r"(?<![A-Za-z0-9])bc1[02-9ac-hj-np-z]{8,87}(?![A-Za-z0-9])", vis):
        if btc_valid(m.group(0)) and ("btc", m.group(0)) not in labelled:
            problem(page, f"unlabelled valid btc {m.group(0)}")
    for m in re.finditer(r"(?<![A-Za-z0-9])0x[0-9a-fA-F]{40}(?![0-9a-fA-F])", vis):
        if eth_valid(m.group(0)) and ("eth", m.group(0).lower()) not in labelled:
            problem(page, f"unlabelled valid eth {m.group(0)}")
    for m in re.finditer(r"(?<![A-Za-z0-9])[48][1-9A-HJ-NP-Za-km-z]{94}(?:[1-9A-HJ-NP-Za-km-z]{11})?(?![A-Za-z0-9])", vis):
        if xmr_valid(m.group(0)) and ("xmr", m.group(0)) not in labelled:
            problem(page, f"unlabelled valid xmr {m.group(0)}")
    for m in re.finditer(r"(?<![A-Za-z0-9])T[1-9A-HJ-NP-Za-km-z]{33}(?![A-Za-z0-9])", vis):
        if trx_valid(m.group(0)) and ("trx", m.group(0)) not in labelled:
            problem(page, f"unlabelled valid trx {m.group(0)}")
    for m in re.finditer(r"(?<![A-Za-z0-9])[a-zA-Z2-7]{56}\.onion", vis):
        h = m.group(0).lower()
        if onion_valid(h) and ("onion", h) not in labelled:
            problem(page, f"unlabelled valid onion {h}")
    for m in re.finditer(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", strip_invisible_chars(vis)):
        e = m.group(0).rstrip(".").lower()
        if e.rsplit(".", 1)[-1] in MAIL_TLDS and ("email", e) not in labelled and m.group(0) not in negtexts:
            problem(page, f"unlabelled plain email {e}")


# ------------------------------------------------------------------ main

def main():
    keys = json.load(open(os.path.join(HERE, "keys", "pgp_keys.json")))
    for k in keys:
        key, _ = pgpy.PGPKey.from_blob(k["armored"])
        fp = str(key.fingerprint).replace(" ", "").upper()
        if fp != k["fingerprint"]:
            problems.append(f"pool key {k['uid']}: pgpy says {fp}, file says {k['fingerprint']}")
        POOL[fp] = k

    kinds = collections.Counter()
    optional = collections.Counter()
    where = collections.Counter()
    negc = collections.Counter()
    regions = collections.Counter()
    layouts = collections.Counter()
    written_forms = 0
    pages = sorted(glob.glob(os.path.join(HERE, "[0-9][0-9][0-9]-*.json")))
    for jf in pages:
        page = os.path.basename(jf)[:-5]
        lab = json.load(open(jf, encoding="utf-8"))
        doc = open(jf[:-5] + ".html", encoding="utf-8").read()
        region = lab["region"]
        if region not in phonenumbers.SUPPORTED_REGIONS:
            problem(page, f"region {region} unknown to libphonenumber")
        regions[region] += 1
        layouts[lab.get("layout", page.split("-", 1)[1])] += 1
        sp = spans(doc)
        seen = set()
        for f in lab["findings"]:
            kind, value = f["kind"], f["value"]
            if (kind, value) in seen:
                problem(page, f"duplicate finding {kind} {value}")
            seen.add((kind, value))
            if f.get("optional"):
                optional[kind] += 1
            else:
                kinds[kind] += 1
            for w in f["where"]:
                where[w] += 1
            for raw in f["written"]:
                written_forms += 1
                occ = list(occurrences(doc, raw))
                if not occ:
                    problem(page, f"{kind} {value}: written form {raw!r} not in the page")
                    continue
                if all(inside(sp, i, len(raw)) for i in occ):
                    problem(page, f"{kind} {value}: written form {raw!r} only inside script/style/comment")
                if kind == "email":
                    err = check_email(page, value, raw)
                elif kind in ("phone", "whatsapp"):
                    err = check_phone(page, value, raw, region)
                elif kind == "telegram":
                    err = check_telegram(page, value, raw)
                elif kind in HANDLE_RE:
                    err = check_handle(page, kind, value, raw)
                elif kind in ("btc", "eth", "xmr", "trx"):
                    err = check_wallet(page, kind, value, raw)
                elif kind == "onion":
                    err = check_onion(page, value, raw)
                elif kind == "pgp":
                    err = check_pgp(page, value, raw)
                else:
                    err = f"unknown kind {kind}"
                if err:
                    problem(page, err)
            if f.get("optional") and kind == "phone" and ("whatsapp", value) not in {(x["kind"], x["value"]) for x in lab["findings"]}:
                problem(page, f"optional phone {value} without its whatsapp finding")
        values = {f["value"] for f in lab["findings"]}
        for n in lab["negatives"]:
            cls, t = n["class"], n["text"]
            negc[cls] += 1
            occ = list(occurrences(doc, t))
            if not occ:
                problem(page, f"negative {cls} {t!r} not in the page")
                continue
            if cls in ("in-script", "in-style", "in-comment"):
                want = {"in-script": "<script", "in-style": "<style", "in-comment": "<!--"}[cls]
                if any(inside(sp, i, len(t)) != want for i in occ):
                    problem(page, f"negative {cls} {t!r} also occurs outside its {want}")
                if not hidden_value_valid(t, region):
                    problem(page, f"negative {cls} {t!r} is not a valid contact (the test would be void)")
            if not bad_checksum_ok(cls, t):
                problem(page, f"negative {cls} {t!r} passes its validator")
            if cls == "phone-invalid-cc" and not invalid_cc_ok(t, region):
                problem(page, f"negative {t!r} parses as a valid phone in {region}")
            if cls == "card-number" and not luhn.is_valid(re.sub(r"\D", "", t)):
                problem(page, f"card {t!r} is not Luhn-valid")
            if cls == "iban" and not iban.is_valid(t):
                problem(page, f"iban {t!r} invalid")
            if cls == "isbn" and not isbn.is_valid(t):
                problem(page, f"isbn {t!r} invalid")
            if cls == "ean-barcode" and not ean.is_valid(t):
                problem(page, f"ean {t!r} invalid")
            if t in values or t.lower() in values:
                problem(page, f"negative {cls} {t!r} is also a labelled value")
        scan_unlabelled(page, doc, lab)

    print(f"pages: {len(pages)}   regions: {len(regions)}   written forms checked: {written_forms}")
    print(f"findings (required): {sum(kinds.values())}   optional: {sum(optional.values())}")
    print("\nper kind (required / optional):")
    for k in sorted(set(kinds) | set(optional)):
        print(f"  {k:10s} {kinds[k]:5d}  {optional[k]:4d}")
    print("\nwhere found (finding x place):", dict(sorted(where.items())))
    print(f"\nnegatives: {sum(negc.values())} in {len(negc)} classes")
    for c in sorted(negc):
        print(f"  {c:22s} {negc[c]:5d}")
    print("\nregions:", dict(sorted(regions.items())))
    print("layouts:", dict(sorted(layouts.items())))
    if problems:
        print(f"\nFAIL: {len(problems)} problems")
        for p in problems[:200]:
            print("  " + p)
        sys.exit(1)
    print("\nOK: every label re-validated, every negative fails its validator")


if __name__ == "__main__":
    main()
