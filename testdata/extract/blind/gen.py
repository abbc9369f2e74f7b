#!/usr/bin/env python3
"""Generator for the BLIND contact-extraction corpus (testdata/extract/blind).

Written without reading the extractor (extractors/), its corpus generator or
its golden files: see README.md.  Python and the standard library only, so it
shares no code with the Go extractor; check.py re-validates every label with
independent libraries from PyPI.

Deterministic: the same SEED and the same keys/pgp_keys.json give byte-identical
pages.  Run from anywhere:

    python3 testdata/extract/blind/gen.py            # writes NNN-<layout>.{html,json}
    python3 testdata/extract/blind/gen.py --stats    # also prints counts

Every page is a full HTML document; its label file says:
    url        the page's address (an .example host: not page content)
    region     ISO country whose national numbering plan local phone numbers
               (written without a country code) on this page belong to
    lang       main language of the page
    findings   [{kind, value, written:[raw forms as they occur in the HTML],
                 where:[text|attr|href|hidden|textarea], optional?}]
    negatives  [{class, text}]  hard negatives planted on the page
"""
import base64
import glob
import hashlib
import html
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 0x17B11D
N_PAGES = 320

# ---------------------------------------------------------------- primitives
# Written from the specifications (Bitcoin base58check, BIP-173/350,
# Keccak (FIPS-202 permutation with the original 0x01 padding), RFC 8032,
# Tor rend-spec-v3, Monero's block base58), not from any library.

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def b58enc(b):
    n = int.from_bytes(b, "big")
    s = ""
    while n:
        n, r = divmod(n, 58)
        s = B58[r] + s
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + s


def b58check(payload):
    return b58enc(payload + sha256d(payload)[:4])


BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def _hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _to5(data):
    acc = bits = 0
    out = []
    for b in data:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def segwit(ver, prog, hrp="bc"):
    data = [ver] + _to5(prog)
    const = 1 if ver == 0 else 0x2BC830A3
    pm = _polymod(_hrp_expand(hrp) + data + [0] * 6) ^ const
    chk = [(pm >> (5 * (5 - i))) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH[d] for d in data + chk)


def _rol(a, n):
    n %= 64
    return ((a << n) | (a >> (64 - n))) & 0xFFFFFFFFFFFFFFFF


def _keccak_f(lanes):
    r = 1
    for _ in range(24):
        c = [lanes[x][0] ^ lanes[x][1] ^ lanes[x][2] ^ lanes[x][3] ^ lanes[x][4] for x in range(5)]
        d = [c[(x + 4) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        lanes = [[lanes[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        x, y = 1, 0
        cur = lanes[x][y]
        for t in range(24):
            x, y = y, (2 * x + 3 * y) % 5
            cur, lanes[x][y] = lanes[x][y], _rol(cur, (t + 1) * (t + 2) // 2)
        for y in range(5):
            row = [lanes[x][y] for x in range(5)]
            for x in range(5):
                lanes[x][y] = row[x] ^ ((~row[(x + 1) % 5]) & row[(x + 2) % 5])
        for j in range(7):
            r = ((r << 1) ^ ((r >> 7) * 0x71)) % 256
            if r & 2:
                lanes[0][0] ^= 1 << ((1 << j) - 1)
    return lanes


def keccak256(msg):
    rate = 136
    p = bytearray(msg) + b"\x01"
    while len(p) % rate:
        p += b"\0"
    p[-1] |= 0x80
    lanes = [[0] * 5 for _ in range(5)]
    for off in range(0, len(p), rate):
        blk = p[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            lanes[x][y] ^= int.from_bytes(blk[8 * i:8 * i + 8], "little")
        lanes = _keccak_f(lanes)
    out = b""
    for i in range(4):
        out += lanes[i % 5][i // 5].to_bytes(8, "little")
    return out


_P = 2 ** 255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_I = pow(2, (_P - 1) // 4, _P)


def _xrecover(y):
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _I % _P
    if x & 1:
        x = _P - x
    return x


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _xrecover(_GY)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def _padd(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def ed25519_point(scalar):
    """Compressed encoding of scalar*B: a real curve point, as a real public key is."""
    q, p = (0, 1, 1, 0), _G
    while scalar:
        if scalar & 1:
            q = _padd(q, p)
        p = _padd(p, p)
        scalar >>= 1
    zi = pow(q[2], _P - 2, _P)
    x, y = q[0] * zi % _P, q[1] * zi % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


_SP = 2 ** 256 - 2 ** 32 - 977
_SG = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
       0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _sadd(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % _SP == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], _SP - 2, _SP) % _SP
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], _SP - 2, _SP) % _SP
    x = (lam * lam - a[0] - b[0]) % _SP
    return (x, (lam * (a[0] - x) - a[1]) % _SP)


def secp256k1_xonly(k):
    """x-only public key of k*G (BIP-340): a taproot output key on the real curve."""
    q, p = None, _SG
    while k:
        if k & 1:
            q = _sadd(q, p)
        p = _sadd(p, p)
        k >>= 1
    return q[0].to_bytes(32, "big")


def onion_v3(pub):
    chk = hashlib.sha3_256(b".onion checksum" + pub + b"\x03").digest()[:2]
    return base64.b32encode(pub + chk + b"\x03").decode().lower() + ".onion"


def xmr_b58(data):
    sizes = [0, 2, 3, 5, 6, 7, 9, 10, 11]
    out = ""
    for i in range(0, len(data), 8):
        blk = data[i:i + 8]
        n = int.from_bytes(blk, "big")
        s = ""
        for _ in range(sizes[len(blk)]):
            n, r = divmod(n, 58)
            s = B58[r] + s
        out += s
    return out


def eip55(addr20):
    h = addr20.hex()
    k = keccak256(h.encode()).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(k[i], 16) >= 8 else c for i, c in enumerate(h))


# ---------------------------------------------------------- value factories

def rbytes(rng, n):
    return bytes(rng.randrange(256) for _ in range(n))


def new_btc(rng, kind=None):
    kind = kind or rng.choice(["p2pkh", "p2pkh", "p2sh", "p2wpkh", "p2wpkh", "p2wpkh", "p2wsh", "p2tr", "p2tr"])
    if kind == "p2pkh":
        return b58check(b"\x00" + rbytes(rng, 20))
    if kind == "p2sh":
        return b58check(b"\x05" + rbytes(rng, 20))
    if kind == "p2wpkh":
        return segwit(0, rbytes(rng, 20))
    if kind == "p2wsh":
        return segwit(0, rbytes(rng, 32))
    return segwit(1, secp256k1_xonly(rng.randrange(1, 2 ** 255)))


def new_eth(rng):
    a = rbytes(rng, 20)
    return "0x" + a.hex(), eip55(a)


def new_xmr(rng):
    kind = rng.choice(["std", "std", "std", "sub", "integrated"])
    spend = ed25519_point(rng.randrange(1, 2 ** 252))
    view = ed25519_point(rng.randrange(1, 2 ** 252))
    if kind == "std":
        body = b"\x12" + spend + view
    elif kind == "sub":
        body = b"\x2a" + spend + view
    else:
        body = b"\x13" + spend + view + rbytes(rng, 8)
    return xmr_b58(body + keccak256(body)[:4])


def new_trx(rng):
    return b58check(b"\x41" + rbytes(rng, 20))


def new_onion(rng):
    return onion_v3(ed25519_point(rng.randrange(1, 2 ** 252)))


def new_session(rng):
    return "05" + ed25519_point(rng.randrange(1, 2 ** 252)).hex()


def mutate(rng, s, alphabet, start=4, keep_case=False):
    """Change one character (not in the first `start`) to another of alphabet."""
    s = list(s)
    while True:
        i = rng.randrange(start, len(s))
        c = rng.choice(alphabet)
        if c != s[i] and (not keep_case or c.lower() != s[i].lower()):
            s[i] = c
            return "".join(s)


B32L = "abcdefghijklmnopqrstuvwxyz234567"


def bad_btc(rng):
    a = new_btc(rng)
    if a.startswith("bc1"):
        return mutate(rng, a, BECH, 4)
    return mutate(rng, a, B58, 2)


def bad_eth(rng):
    """A mixed-case address whose case pattern fails EIP-55."""
    _, good = new_eth(rng)
    s = list(good)
    letters = [i for i in range(2, 42) if s[i].isalpha()]
    for i in rng.sample(letters, min(len(letters), rng.choice([1, 1, 2, 3]))):
        s[i] = s[i].swapcase()
    bad = "".join(s)
    if bad[2:] == bad[2:].lower() or bad[2:] == bad[2:].upper():
        return bad_eth(rng)
    return bad


def bad_xmr(rng):
    return mutate(rng, new_xmr(rng), B58, 3)


def bad_trx(rng):
    return mutate(rng, new_trx(rng), B58, 2)


def bad_onion(rng):
    host = new_onion(rng)[:-6]
    return mutate(rng, host, B32L, 0) + ".onion"


def luhn_ok(num):
    s = 0
    for i, ch in enumerate(reversed(num)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        s += d
    return s % 10 == 0


def new_card(rng):
    pre = rng.choice(["4", "4", "51", "53", "55", "2221", "37", "6011"])
    ln = 15 if pre == "37" else 16
    body = pre + "".join(str(rng.randrange(10)) for _ in range(ln - len(pre) - 1))
    for d in "0123456789":
        if luhn_ok(body + d):
            num = body + d
            break
    if ln == 15:
        return f"{num[:4]} {num[4:10]} {num[10:]}"
    sep = rng.choice([" ", " ", "-", ""])
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


IBAN_FMT = {"DE": (18, "n"), "GB": (18, "gb"), "FR": (23, "n"), "NL": (14, "nl"),
            "IT": (23, "it"), "PL": (24, "n"), "RO": (20, "ro"), "TR": (22, "n"), "AE": (19, "n")}


def new_iban(rng):
    cc = rng.choice(sorted(IBAN_FMT))
    ln, f = IBAN_FMT[cc]
    digs = lambda n: "".join(str(rng.randrange(10)) for _ in range(n))
    ups = lambda n: "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))
    if f == "gb":
        bban = ups(4) + digs(14)
    elif f == "nl":
        bban = ups(4) + digs(10)
    elif f == "it":
        bban = ups(1) + digs(22)
    elif f == "ro":
        bban = ups(4) + digs(16)
    else:
        bban = digs(ln)
    conv = lambda s: "".join(str(int(c, 36)) for c in s)
    chk = 98 - int(conv(bban + cc + "00")) % 97
    iban = f"{cc}{chk:02d}{bban}"
    if rng.random() < 0.7:
        iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def new_isbn(rng):
    body = rng.choice(["978", "979"]) + "".join(str(rng.randrange(10)) for _ in range(9))
    s = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body))
    full = body + str((10 - s % 10) % 10)
    f = rng.randrange(3)
    if f == 0:
        return f"{full[:3]}-{full[3]}-{full[4:7]}-{full[7:12]}-{full[12]}"
    if f == 1:
        return full
    return f"{full[:3]}-{full[3:5]}-{full[5:9]}-{full[9:12]}-{full[12]}"


def new_ean(rng):
    body = rng.choice(["400", "590", "800", "690", "460", "885"]) + "".join(str(rng.randrange(10)) for _ in range(9))
    s = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body))
    return body + str((10 - s % 10) % 10)


# ------------------------------------------------------------- phone plans
# Per country: country code, trunk prefix (as written nationally), whether
# "00" is the international prefix there (so "0044 …" may be written on a page
# of that region), and number templates: X any digit, N 2-9, {a,b} one of,
# | a group boundary.  A template may carry its own trunk prefix.

COUNTRIES = {
    "US": dict(cc="1", trunk="1", idd00=False, types=[
        "{212,213,305,312,347,404,415,469,512,602,617,646,702,713,718,786,818,917}|NXX|XXXX"]),
    "GB": dict(cc="44", trunk="0", idd00=True, types=[
        "7{400,411,412,415,418,428,440,447,466,480,501,507,511,525,531,540,546,575,588,710,717,723,733,747,766,787,800,810,825,831,846,853,867,877,888,903,910,912,930,944,957,961,973,985}|XXXXXX",
        "7{400,411,508,532,745,799,834,956}|XXX|XXX",
        "20|{3,7,8}XXX|XXXX", "161|{2,3,4,5,6,7}XX|XXXX", "121|{2,3,4,5,6,7}XX|XXXX"]),
    "DE": dict(cc="49", trunk="0", idd00=True, types=[
        "15{1,2,7,9}|XXXX|XXXX", "17{0,1,2,3,4,5,6,7,8,9}|XXXX|XXXX", "16{0,2,3}|XXXX|XXXX",
        "30|NXXX|XXXX", "89|NXXX|XXXX"]),
    "FR": dict(cc="33", trunk="0", idd00=True, types=[
        "6|{0,1,2,3,4,5,6,7,8}X|XX|XX|XX", "7|{3,4,5,6,7,8}X|XX|XX|XX", "1|{4,5}X|XX|XX|XX"]),
    "ES": dict(cc="34", trunk="", idd00=True, types=[
        "6XX|XXX|XXX", "7{1,2,3,4}X|XXX|XXX", "91|NXX|XX|XX"]),
    "IT": dict(cc="39", trunk="", idd00=True, types=[
        "3{20,27,28,29,30,33,34,35,38,39,40,42,45,46,47,48,49,66,68,80,88,89,91,92,93}|XXX|XXXX",
        "06|XXXX|XXXX", "02|XXXX|XXXX"]),
    "NL": dict(cc="31", trunk="0", idd00=True, types=[
        "6|{1,2,3,4,5}XXXXXXX", "20|NXX|XXXX"]),
    "RU": dict(cc="7", trunk="8", idd00=False, types=[
        "9{01,03,05,06,09,10,11,12,13,14,15,16,17,18,19,20,21,22,23,25,26,27,28,29,50,51,52,53,60,61,62,63,64,65,66,67,68,77,80,81,82,83,84,85,86,87,88,89,99}|XXX|XX|XX",
        "495|NXX|XX|XX"]),
    "UA": dict(cc="380", trunk="0", idd00=True, types=[
        "{50,66,95,99,67,68,96,97,98,63,73,93}|XXX|XX|XX", "44|NXX|XX|XX"]),
    "PL": dict(cc="48", trunk="", idd00=True, types=[
        "{50,51,53,57,60,66,69,72,73,78,79,88}X|XXX|XXX", "22|NXX|XX|XX"]),
    "RO": dict(cc="40", trunk="0", idd00=True, types=[
        "7{2,3,4,5,6,7,8}X|XXX|XXX", "21|{2,3}XX|XX|XX"]),
    "TH": dict(cc="66", trunk="0", idd00=False, types=[
        "{61,62,63,64,65,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99}|XXX|XXXX",
        "2|NXX|XXXX"]),
    "PH": dict(cc="63", trunk="0", idd00=True, types=[
        "9{05,06,15,16,17,18,19,20,21,26,27,28,29,35,36,39,45,47,49,55,56,65,66,75,77,95,97,98,99}|XXX|XXXX",
        "2|8XXX|XXXX"]),
    "NG": dict(cc="234", trunk="0", idd00=False, types=[
        "{803,805,806,807,808,703,705,706,708,810,813,814,816,903,905,906}|XXX|XXXX"]),
    "IN": dict(cc="91", trunk="0", idd00=True, types=[
        "{98,99,97,96,95,94,93,91,90,89,88,87,86,85,84,83,82,81,80,79,78,77,76,75,74,73,72,70,63,62}XXX|XXXXX"]),
    "BR": dict(cc="55", trunk="", idd00=False, types=[
        "{11,21,31,41,51,61,71,81}|9{6,7,8,9}XXX|XXXX", "{11,21}|{2,3,4}XXX|XXXX"]),
    "MX": dict(cc="52", trunk="", idd00=True, types=["{55,33,81}|XXXX|XXXX"]),
    "VN": dict(cc="84", trunk="0", idd00=True, types=[
        "9{0,1,3,4,6,7,8}|XXX|XXXX", "3{2,3,4,5,6,7,8,9}|XXX|XXXX", "28|NXXX|XXXX"]),
    "CO": dict(cc="57", trunk="", idd00=False, types=[
        "3{00,01,02,04,05,10,11,12,13,14,15,16,17,18,19,20,21,50}|XXX|XXXX", "601|NXX|XXXX"]),
    "AE": dict(cc="971", trunk="0", idd00=True, types=["5{0,2,4,5,6,8}|XXX|XXXX", "4|{2,3}XX|XXXX"]),
    "TR": dict(cc="90", trunk="0", idd00=True, types=[
        "5{30,31,32,33,34,35,36,37,38,39,41,42,43,44,45,46,47,48,49,51,52,53,54,55}|XXX|XX|XX",
        "212|NXX|XX|XX"]),
    "CN": dict(cc="86", trunk="0", idd00=True, types=[
        ("1{33,35,36,37,38,39,50,51,52,55,57,58,59,77,80,81,82,85,86,87,88,89}|XXXX|XXXX", ""),
        "10|NXXX|XXXX"]),
    "JP": dict(cc="81", trunk="0", idd00=False, types=["{90,80,70}|NXXX|XXXX", "3|NXXX|XXXX"]),
    "EG": dict(cc="20", trunk="0", idd00=True, types=["1{0,1,2,5}|XXXX|XXXX"]),
    "KE": dict(cc="254", trunk="0", idd00=False, types=["7{0,1,2,9}X|XXX|XXX", "1{10,11}|XXX|XXX"]),
}

# Unassigned ITU country codes: "+<these> …" is not a phone number, whatever the page's region.
BAD_CC = ["0", "280", "281", "282", "283", "284", "285", "286", "287", "288", "289", "292", "293", "294",
          "295", "296", "384", "422", "424", "426", "427", "428", "429", "671", "693", "694", "695",
          "696", "697", "698", "699", "801", "802", "803", "804", "805", "806", "807", "854", "857",
          "858", "859", "969", "990", "997", "999"]


def tpl(rng, t):
    out = []
    i = 0
    while i < len(t):
        c = t[i]
        if c == "X":
            out.append(str(rng.randrange(10)))
        elif c == "N":
            out.append(str(rng.randrange(2, 10)))
        elif c == "{":
            j = t.index("}", i)
            out.append(rng.choice(t[i + 1:j].split(",")))
            i = j
        else:
            out.append(c)
        i += 1
    return "".join(out)


class Number:
    def __init__(self, region, groups, trunk):
        self.region = region
        self.cc = COUNTRIES[region]["cc"]
        self.groups = groups
        self.trunk = trunk
        self.e164 = "+" + self.cc + "".join(groups)

    def digits(self):
        return self.e164[1:]


def new_number(rng, region):
    c = COUNTRIES[region]
    while True:
        t = rng.choice(c["types"])
        trunk = c["trunk"]
        if isinstance(t, tuple):
            t, trunk = t
        groups = tpl(rng, t).split("|")
        if region == "US" and (groups[1] == "555" or groups[1][1:] == "11"):
            continue
        return Number(region, groups, trunk)


def fmt_national(rng, n):
    g = n.groups
    t = n.trunk
    r = n.region
    if r == "US":
        a, b, c = g
        return rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"{a} {b} {c}",
                           f"1 ({a}) {b}-{c}", f"1-{a}-{b}-{c}", f"({a}){b}-{c}"])
    if r == "RU":
        a, b, c, d = g
        return rng.choice([f"8 ({a}) {b}-{c}-{d}", f"8-{a}-{b}-{c}-{d}", f"8 {a} {b} {c} {d}",
                           f"8{a}{b}{c}{d}", f"8 ({a}) {b} {c} {d}"])
    if r == "BR":
        a, b, c = g
        return rng.choice([f"({a}) {b}-{c}", f"{a} {b}-{c}", f"({a}) {b[0]} {b[1:]}-{c}", f"({a}){b}{c}"])
    first = t + g[0]
    rest = g[1:]
    style = rng.randrange(6)
    if style == 0:
        return " ".join([first] + rest)
    if style == 1:
        return "-".join([first] + rest)
    if style == 2:
        return ".".join([first] + rest)
    if style == 3 and r not in ("FR",):
        return f"({first}) " + " ".join(rest)
    if style == 4 and r == "DE":
        return first + "/" + "".join(rest)
    if style == 4:
        return first + " " + "".join(rest)
    return first + "".join(rest)


def fmt_intl(rng, n, page_region):
    g = n.groups
    cc = n.cc
    opts = [f"+{cc} " + " ".join(g), f"+{cc} " + " ".join(g), f"+{cc}-" + "-".join(g), f"+{cc}" + "".join(g),
            f"+{cc} {g[0]} " + "".join(g[1:])]
    if n.trunk == "0" and n.region not in ("CN",):
        opts.append(f"+{cc} (0){g[0]} " + " ".join(g[1:]))
        opts.append(f"+{cc} (0) {g[0]} " + " ".join(g[1:]))
    if n.region in ("US", "RU", "BR", "UA", "TR"):
        opts.append(f"+{cc} ({g[0]}) " + "-".join(g[1:]))
    if n.region == "UA":
        opts.append(f"+38 (0{g[0]}) " + "-".join(g[1:]))
    if n.region == "US":
        opts.append(f"+1.{g[0]}.{g[1]}.{g[2]}")
    if COUNTRIES[page_region]["idd00"]:
        opts.append(f"00{cc} " + " ".join(g))
        opts.append(f"00 {cc} " + " ".join(g))
    return rng.choice(opts)


ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH = str.maketrans("0123456789+-() ", "０１２３４５６７８９＋－（）\u3000")

# ------------------------------------------------------------------- words

FIRST = ["anna", "maria", "olga", "irina", "lena", "sofia", "nadia", "katya", "julia", "elena", "dmitri",
         "sergei", "viktor", "ivan", "alex", "max", "leo", "marco", "pablo", "diego", "lucas", "jonas",
         "ahmed", "omar", "yusuf", "karim", "li", "wei", "chen", "hana", "yuki", "kenji", "somchai",
         "niran", "malee", "linh", "minh", "tuan", "emeka", "chidi", "amaka", "raj", "priya", "arjun",
         "mehmet", "elif", "can", "kasia", "tomasz", "andrei", "ioana", "sven", "lotte", "james", "kate"]
WORDS = ["shadow", "ghost", "night", "silver", "golden", "dark", "quick", "royal", "lucky", "crystal",
         "ice", "fire", "storm", "wolf", "fox", "tiger", "dragon", "eagle", "raven", "cobra", "panda",
         "angel", "star", "moon", "sun", "river", "ocean", "stone", "iron", "velvet", "cherry", "lotus",
         "jade", "ruby", "amber", "coral", "echo", "nova", "pixel", "cipher", "vector", "atlas", "delta",
         "omega", "sigma", "alpha", "zen", "neon", "retro", "urban", "global", "prime", "elite", "vip",
         "agency", "travel", "model", "work", "jobs", "visa", "transfer", "express", "market", "store",
         "shop", "supply", "connect", "support", "service", "team", "office", "manager", "booking"]
MAIL_DOMAINS = ["protonmail.com", "proton.me", "tutanota.com", "tuta.io", "cock.li", "onionmail.org",
                "mail.ru", "yandex.ru", "gmail.com", "outlook.com", "yahoo.co.jp", "qq.com", "163.com",
                "gmx.de", "web.de", "riseup.net", "disroot.org", "dnmx.org", "secmail.pro", "keemail.me",
                "hotmail.co.uk", "ukr.net", "yahoo.com.br", "orange.fr", "libero.it", "wp.pl", "yahoo.ro",
                "seznam.cz", "naver.com", "mail.com", "inbox.lv", "posteo.de", "mailfence.com",
                "airmail.cc", "firemail.cc", "hotmail.com", "icloud.com", "zoho.eu", "bk.ru", "list.ru"]


def handle(rng, minlen=5, maxlen=24, allow=("_",), digits=True):
    while True:
        parts = [rng.choice(WORDS + FIRST)]
        if rng.random() < 0.6:
            parts.append(rng.choice(WORDS))
        sep = rng.choice(list(allow) + [""])
        h = sep.join(parts)
        if digits and rng.random() < 0.55:
            h += str(rng.randrange(1, 999))
        if minlen <= len(h) <= maxlen and h[0].isalpha():
            return h


def email_parts(rng):
    while True:
        f = rng.randrange(6)
        if f == 0:
            local = rng.choice(FIRST) + "." + rng.choice(WORDS)
        elif f == 1:
            local = rng.choice(FIRST) + rng.choice(["_", "-", ""]) + str(rng.randrange(1, 9999))
        elif f == 2:
            local = handle(rng, 4, 20)
        elif f == 3:
            local = rng.choice(WORDS) + "." + rng.choice(WORDS) + str(rng.randrange(10, 99))
        elif f == 4:
            local = rng.choice(FIRST) + "+" + rng.choice(["orders", "work", "vip", "jobs"])
        else:
            local = rng.choice(WORDS) + rng.choice(WORDS)
        if 3 <= len(local) <= 30:
            return local, rng.choice(MAIL_DOMAINS)


def caseify(rng, s, p=0.25):
    r = rng.random()
    if r < p / 2:
        return s.capitalize()
    if r < p:
        return "".join(c.upper() if rng.random() < 0.3 else c for c in s)
    return s


ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "&#8203;", "&#x200B;", "&zwnj;", "&shy;"]


def sprinkle_zw(rng, s, n=None):
    n = n or rng.randrange(1, 4)
    s = list(s)
    for _ in range(n):
        i = rng.randrange(1, len(s))
        s.insert(i, rng.choice(ZW))
    return "".join(s)


# ------------------------------------------------------------- languages
# Filler sentences: no digits, no @, nothing contact-like.

FILLER = {
    "en": ["Reliable vendor, stealth was perfect and the package arrived on time.",
           "Read the rules before posting, new accounts are moderated.",
           "Escrow only for new buyers, no finalize early.",
           "Looking for girls to work in hotels and restaurants abroad, visa and tickets are paid.",
           "Good salary, accommodation provided, no experience needed.",
           "Do not trust anyone who asks for payment outside the market.",
           "Shipping worldwide, tracking on request.",
           "We are hiring drivers and helpers, documents arranged by the agency.",
           "Moderators will remove posts with personal data of victims.",
           "Prices are negotiable for bulk orders, message me first.",
           "Please keep the discussion on topic.",
           "The old shop is closed, this is the only official channel.",
           "Answer within a day, sometimes faster.",
           "Verified seller since last year, see my feedback.",
           "Escort agency recruiting models for international tours."],
    "ru": ["Надёжный продавец, всё пришло вовремя.", "Требуются девушки для работы за границей, жильё и билеты за наш счёт.",
           "Пишите только по делу, на глупые вопросы не отвечаю.", "Работаем через гаранта, без предоплаты.",
           "Доставка по всей стране, трек по запросу.", "Модераторы удаляют личные данные.",
           "Высокая зарплата, опыт не нужен, оформление документов берём на себя.",
           "Старый магазин закрыт, это единственный официальный канал."],
    "uk": ["Потрібні дівчата для роботи за кордоном, житло надаємо.", "Пишіть лише у робочий час.",
           "Працюємо через гаранта, без передоплати.", "Оформлення документів беремо на себе."],
    "ar": ["مطلوب فتيات للعمل في الفنادق والمطاعم في الخارج، التأشيرة والتذاكر مدفوعة.",
           "راتب ممتاز وسكن مجاني، لا حاجة للخبرة.", "التعامل عبر الوسيط فقط، بدون دفع مسبق.",
           "الشحن إلى جميع الدول مع رقم التتبع عند الطلب.", "يرجى قراءة القواعد قبل النشر.",
           "المتجر القديم مغلق، هذه القناة الرسمية الوحيدة."],
    "zh": ["诚聘海外酒店服务员，包吃包住，机票签证由公司负责。", "只走担保交易，不接受预付款。",
           "全国包邮，可提供物流单号。", "发帖前请先阅读版规。", "老店已关闭，这里是唯一官方渠道。",
           "高薪招聘，无需经验，手续公司代办。"],
    "ja": ["海外のホテルでの仕事、ビザと航空券は会社負担です。", "エスクローのみ対応、前払いは不可。",
           "投稿する前にルールを読んでください。", "未経験者歓迎、寮完備、高収入。",
           "旧ショップは閉鎖しました。ここが唯一の公式窓口です。"],
    "th": ["รับสมัครพนักงานทำงานต่างประเทศ มีที่พักและตั๋วเครื่องบินให้", "ไม่ต้องมีประสบการณ์ รายได้ดี",
           "ซื้อขายผ่านคนกลางเท่านั้น ไม่รับโอนก่อน", "กรุณาอ่านกฎก่อนโพสต์", "จัดส่งทั่วประเทศ มีเลขพัสดุ"],
    "es": ["Se buscan chicas para trabajar en hoteles en el extranjero, visado y billetes pagados.",
           "Vendedor de confianza, el envío llegó a tiempo.", "Solo con depósito en garantía, sin pago adelantado.",
           "Lean las normas antes de publicar.", "Buen sueldo, alojamiento incluido, sin experiencia."],
    "pt": ["Procuramos moças para trabalhar em hotéis no exterior, visto e passagens pagos.",
           "Vendedor confiável, a entrega chegou no prazo.", "Somente com garantia, sem pagamento antecipado.",
           "Leiam as regras antes de postar."],
    "fr": ["Recrutons hôtesses pour travailler à l'étranger, visa et billets payés.",
           "Vendeur fiable, colis reçu à temps.", "Uniquement via séquestre, pas de paiement d'avance.",
           "Lisez les règles avant de poster."],
    "de": ["Suchen Mädchen für Arbeit in Hotels im Ausland, Visum und Tickets werden bezahlt.",
           "Zuverlässiger Verkäufer, Lieferung kam pünktlich.", "Nur über Treuhand, keine Vorkasse.",
           "Bitte lest die Regeln vor dem Posten."],
    "tr": ["Yurt dışında otellerde çalışacak bayanlar aranıyor, vize ve bilet ücretsiz.",
           "Güvenilir satıcı, kargo zamanında geldi.", "Sadece aracı ile, ön ödeme yok."],
    "vi": ["Tuyển nữ làm việc tại khách sạn nước ngoài, lo visa và vé máy bay.",
           "Người bán uy tín, hàng đến đúng hẹn.", "Chỉ giao dịch qua trung gian, không chuyển trước."],
    "it": ["Cerchiamo ragazze per lavoro in hotel all'estero, visto e biglietti pagati.",
           "Venditore affidabile, spedizione arrivata in tempo."],
    "pl": ["Szukamy dziewczyn do pracy w hotelach za granicą, wiza i bilety opłacone.",
           "Sprzedawca godny zaufania, paczka doszła na czas."],
    "ro": ["Căutăm fete pentru muncă în hoteluri în străinătate, viza și biletele sunt plătite.",
           "Vânzător de încredere, coletul a ajuns la timp."],
    "nl": ["Wij zoeken meisjes voor werk in hotels in het buitenland, visum en tickets betaald.",
           "Betrouwbare verkoper, pakket kwam op tijd aan."],
}

LABELS = {  # phone, email, telegram, whatsapp, wallet, contacts, wrote, price, order
    "en": dict(phone=["Tel", "Phone", "Call or SMS", "Mob.", "Hotline", "📞"], email=["Email", "E-mail", "Mail", "📧", "Write to"],
               tg=["Telegram", "TG", "tg", "Telegram ➜", "Contact on Telegram ➜", "DM me on TG »", "✈️ Telegram:", "Telegram 👉", "TG →", "TG ⇒"],
               wa=["WhatsApp", "WA", "📱 WhatsApp", "Whatsapp ➜", "WhatsApp/Viber"], wallet="Wallet",
               contacts="Contacts", wrote="wrote", price="Price", order="Order"),
    "ru": dict(phone=["Тел.", "Телефон", "Звонить"], email=["Почта", "E-mail", "Email"],
               tg=["Телеграм:", "Телега:", "ТГ ➜", "Пишите в Telegram →", "Telegram:"], wa=["Ватсап", "WhatsApp"],
               wallet="Кошелёк", contacts="Контакты", wrote="писал(а)", price="Цена", order="Заказ"),
    "uk": dict(phone=["Тел.", "Телефон"], email=["Пошта", "E-mail"], tg=["Телеграм:", "Telegram ➜"], wa=["Вотсап", "WhatsApp"],
               wallet="Гаманець", contacts="Контакти", wrote="написав(ла)", price="Ціна", order="Замовлення"),
    "ar": dict(phone=["هاتف", "اتصل", "جوال"], email=["البريد", "إيميل"], tg=["تيليجرام:", "تلغرام ➜", "Telegram:"],
               wa=["واتساب", "WhatsApp"], wallet="المحفظة", contacts="للتواصل", wrote="كتب", price="السعر", order="الطلب"),
    "zh": dict(phone=["电话", "手机", "联系电话"], email=["邮箱", "电邮"], tg=["电报：", "飞机：", "Telegram："], wa=["WhatsApp"],
               wallet="钱包", contacts="联系方式", wrote="写道", price="价格", order="订单"),
    "ja": dict(phone=["電話", "TEL"], email=["メール", "E-mail"], tg=["テレグラム：", "Telegram："], wa=["WhatsApp"],
               wallet="ウォレット", contacts="連絡先", wrote="さんの書き込み", price="価格", order="注文"),
    "th": dict(phone=["โทร", "เบอร์"], email=["อีเมล"], tg=["เทเลแกรม:", "Telegram:"], wa=["WhatsApp", "วอทส์แอพ"],
               wallet="กระเป๋าเงิน", contacts="ติดต่อ", wrote="เขียน", price="ราคา", order="คำสั่งซื้อ"),
    "es": dict(phone=["Tel.", "Teléfono", "Llamar"], email=["Correo", "Email"], tg=["Telegram:", "Escríbeme por Telegram ➜"],
               wa=["WhatsApp", "Wasap"], wallet="Billetera", contacts="Contacto", wrote="escribió", price="Precio", order="Pedido"),
    "pt": dict(phone=["Tel.", "Telefone", "Ligue"], email=["E-mail"], tg=["Telegram:", "Chama no Telegram ➜"], wa=["WhatsApp", "Zap"],
               wallet="Carteira", contacts="Contato", wrote="escreveu", price="Preço", order="Pedido"),
    "fr": dict(phone=["Tél.", "Téléphone", "Appelez"], email=["Courriel", "E-mail"], tg=["Telegram :", "Contact Telegram ➜"],
               wa=["WhatsApp"], wallet="Portefeuille", contacts="Contact", wrote="a écrit", price="Prix", order="Commande"),
    "de": dict(phone=["Tel.", "Telefon", "Handy"], email=["E-Mail", "Mail"], tg=["Telegram:", "Schreib mir auf Telegram ➜"],
               wa=["WhatsApp"], wallet="Wallet", contacts="Kontakt", wrote="schrieb", price="Preis", order="Bestellung"),
    "tr": dict(phone=["Tel", "Telefon"], email=["E-posta"], tg=["Telegram:"], wa=["WhatsApp"],
               wallet="Cüzdan", contacts="İletişim", wrote="yazdı", price="Fiyat", order="Sipariş"),
    "vi": dict(phone=["ĐT", "Điện thoại", "SĐT"], email=["Email"], tg=["Telegram:", "Tele:"], wa=["WhatsApp", "Zalo/WhatsApp"],
               wallet="Ví", contacts="Liên hệ", wrote="đã viết", price="Giá", order="Đơn hàng"),
    "it": dict(phone=["Tel.", "Cellulare"], email=["Email"], tg=["Telegram:"], wa=["WhatsApp"],
               wallet="Portafoglio", contacts="Contatti", wrote="ha scritto", price="Prezzo", order="Ordine"),
    "pl": dict(phone=["Tel.", "Telefon"], email=["E-mail"], tg=["Telegram:"], wa=["WhatsApp"],
               wallet="Portfel", contacts="Kontakt", wrote="napisał(a)", price="Cena", order="Zamówienie"),
    "ro": dict(phone=["Tel.", "Telefon"], email=["E-mail"], tg=["Telegram:"], wa=["WhatsApp"],
               wallet="Portofel", contacts="Contact", wrote="a scris", price="Preț", order="Comanda"),
    "nl": dict(phone=["Tel.", "Telefoon"], email=["E-mail"], tg=["Telegram:"], wa=["WhatsApp"],
               wallet="Wallet", contacts="Contact", wrote="schreef", price="Prijs", order="Bestelling"),
}

LANG_REGIONS = {"en": ["US", "GB", "NG", "PH", "IN", "KE", "US", "GB"], "ru": ["RU"], "uk": ["UA"], "ar": ["AE", "EG"],
                "zh": ["CN"], "ja": ["JP"], "th": ["TH"], "es": ["ES", "MX", "CO"], "pt": ["BR"], "fr": ["FR"],
                "de": ["DE"], "tr": ["TR"], "vi": ["VN"], "it": ["IT"], "pl": ["PL"], "ro": ["RO"], "nl": ["NL"]}
RTL = {"ar"}

# -------------------------------------------------------------------- page


class Page:
    def __init__(self, idx, layout, lang, region, rng, keys):
        self.idx, self.layout, self.lang, self.region, self.rng, self.keys = idx, layout, lang, region, rng, keys
        self.f = {}
        self.neg = []
        self.L = LABELS[lang]

    # -- bookkeeping
    def find(self, kind, value, written, where="text", optional=False):
        e = self.f.setdefault((kind, value), {"written": [], "where": [], "optional": True})
        if not optional:
            e["optional"] = False
        if written not in e["written"]:
            e["written"].append(written)
        if where not in e["where"]:
            e["where"].append(where)
        return written

    def negative(self, cls, text):
        self.neg.append((cls, text))
        return text

    def filler(self, n=1):
        pool = FILLER[self.lang]
        return " ".join(self.rng.sample(pool, min(n, len(pool))))

    def lab(self, key):
        return self.rng.choice(self.L[key])

    # -------------------------------------------------------- contact makers
    def email(self, where="text", form=None):
        rng = self.rng
        local, domain = email_parts(rng)
        value = f"{local}@{domain}".lower()
        L = caseify(rng, local, 0.2)
        D = domain if rng.random() > 0.1 else domain.upper()
        parts = D.split(".")
        forms = ["plain", "plain", "plain", "brk", "brk", "paren", "paren_sp", "brace", "symbrk", "symbrk",
                 "symparen", "words", "words", "WORDS", "dash", "angle", "spaced", "ent", "ent", "zw", "zw",
                 "nested", "partial", "partial", "mailto", "mailto_vis"]
        form = form or rng.choice(forms)
        j = lambda sep: sep.join(parts)
        if where in ("attr", "textarea", "hidden-attr"):
            form = "plain"
        if form == "plain":
            raw = f"{L}@{D}"
        elif form == "brk":
            raw = f"{L} [at] {j(' [dot] ')}" if rng.random() < 0.7 else f"{L}[at]{j('[dot]')}"
        elif form == "paren":
            raw = f"{L}(at){j('(dot)')}"
        elif form == "paren_sp":
            raw = f"{L} (at) {j(' (dot) ')}"
        elif form == "brace":
            raw = f"{L} {{at}} {j(' {dot} ')}"
        elif form == "symbrk":
            raw = f"{L}[@]{j('[.]')}" if rng.random() < 0.7 else f"{L} [@] {j(' [.] ')}"
        elif form == "symparen":
            raw = f"{L}(@){j('(.)')}"
        elif form == "words":
            raw = f"{L} at {j(' dot ')}"
        elif form == "WORDS":
            raw = f"{L} AT {j(' DOT ')}"
        elif form == "dash":
            raw = f"{L} -at- {j(' -dot- ')}"
        elif form == "angle":
            raw = f"{L} &lt;at&gt; {j(' &lt;dot&gt; ')}"
        elif form == "spaced":
            raw = f"{L} @ {j(' . ')}"
        elif form == "ent":
            at = rng.choice(["&#64;", "&#x40;", "&commat;"])
            dot = rng.choice([".", "&#46;", "&period;", "&#x2E;"])
            raw = f"{L}{at}{j(dot)}"
        elif form == "zw":
            raw = sprinkle_zw(rng, f"{L}@{D}")
        elif form == "nested":
            raw = rng.choice([f"{L}<span>@</span>{D}", f"<b>{L}</b>@{D}", f"{L}@<span class=\"d\">{D}</span>",
                              f"<span>{L}</span><span>@</span><span>{D}</span>"])
        elif form == "partial":
            raw = rng.choice([f"{L}@{j('[.]')}", f"{L} [at] {D}", f"{L}(at){D}", f"{L}@{j(' dot ')}"])
        elif form == "mailto":
            txt = rng.choice(["write me", "email", "✉", "Contact", self.lab("email")])
            self.find("email", value, f"mailto:{L}@{D}", "href")
            return f'<a href="mailto:{L}@{D}">{txt}</a>'
        elif form == "mailto_vis":
            self.find("email", value, f"mailto:{L}@{D}", "href")
            self.find("email", value, f"{L}@{D}", where)
            return f'<a href="mailto:{L}@{D}">{L}@{D}</a>'
        self.find("email", value, raw, where)
        if where in ("attr", "textarea"):
            return raw
        if form in ("words", "WORDS", "dash", "spaced", "brace", "partial"):
            return f"{self.lab('email')}: {raw}"
        return raw

    def phone(self, intl=None, number=None, where="text", plain=False):
        rng = self.rng
        if number is None:
            local = rng.random() < 0.62
            region = self.region if local else rng.choice(sorted(COUNTRIES))
            number = new_number(rng, region)
        if intl is None:
            intl = number.region != self.region or rng.random() < 0.4
        raw = fmt_intl(rng, number, self.region) if intl else fmt_national(rng, number)
        r = rng.random()
        if self.lang == "ar" and r < 0.2:
            raw = raw.translate(ARABIC_DIGITS)
        elif self.lang in ("zh", "ja") and r < 0.2:
            raw = raw.translate(FULLWIDTH)
        elif r < 0.06:
            raw = sprinkle_zw(rng, raw, 1)
        elif r < 0.12 and intl and raw.startswith("+" + number.cc + " "):
            raw = f"<b>+{number.cc}</b>" + raw[len(number.cc) + 1:]
        elif r < 0.18:
            raw = raw.replace(" ", "&nbsp;")
        if self.lang in RTL and rng.random() < 0.4:
            raw = "\u200e" + raw + "\u200e"
        self.find("phone", number.e164, raw, where)
        if plain:
            return raw
        if rng.random() < 0.12:
            tel = number.e164
            self.find("phone", number.e164, "tel:" + tel, "href")
            return f'<a href="tel:{tel}">{raw}</a>'
        return f"{self.lab('phone')}: {raw}" if rng.random() < 0.8 else raw

    def whatsapp(self):
        rng = self.rng
        region = self.region if rng.random() < 0.6 else rng.choice(sorted(COUNTRIES))
        n = new_number(rng, region)
        f = rng.randrange(6)
        if f == 0:
            raw = f"wa.me/{n.digits()}"
            self.find("whatsapp", n.e164, raw, "text")
            self.find("phone", n.e164, raw, "text", optional=True)
            return rng.choice([f"https://{raw}", raw, f"WhatsApp ➜ https://{raw}"])
        if f == 1:
            raw = f"https://wa.me/{n.digits()}"
            self.find("whatsapp", n.e164, raw, "href")
            self.find("phone", n.e164, raw, "href", optional=True)
            return f'<a href="{raw}" class="btn-wa">{rng.choice(["Chat on WhatsApp", "WhatsApp me", "💬 WhatsApp", self.lab("wa")])}</a>'
        if f == 2:
            raw = f"api.whatsapp.com/send?phone={n.digits()}"
            self.find("whatsapp", n.e164, raw, "href")
            self.find("phone", n.e164, raw, "href", optional=True)
            return f'<a href="https://{raw}&amp;text=hi">{self.lab("wa")}</a>'
        intl = n.region != self.region or rng.random() < 0.5
        raw = fmt_intl(rng, n, self.region) if intl else fmt_national(rng, n)
        if rng.random() < 0.1:
            raw = raw.replace(" ", "&nbsp;")
        self.find("whatsapp", n.e164, raw, "text")
        self.find("phone", n.e164, raw, "text", optional=True)
        lab = self.lab("wa")
        return rng.choice([f"{lab}: {raw}", f"{lab} ➜ {raw}", f"{lab} – {raw}", f"📲 {lab} {raw}", f"{lab} 👉 {raw}"])

    def telegram(self, where="text"):
        rng = self.rng
        h = handle(rng, 5, 28)
        value = h.lower()
        H = caseify(rng, h, 0.3)
        f = rng.randrange(12)
        if where == "hidden":
            f = rng.choice([0, 1, 3])
        if f in (0, 1, 2):
            raw = "@" + H
            if rng.random() < 0.06:
                raw = "@" + sprinkle_zw(rng, H, 1)
            self.find("telegram", value, raw, where)
            lab = self.lab("tg")
            sep = "" if lab.endswith((":", "➜", "→", "»", "👉", "⇒", "：")) else ":"
            return f"{lab}{sep} {raw}"
        if f == 3:
            raw = H
            self.find("telegram", value, raw, where)
            return f"Telegram: {raw}" if rng.random() < 0.6 else f"Telegram ➜ {raw}"
        if f in (4, 5):
            raw = rng.choice(["t.me/", "https://t.me/", "http://t.me/", "telegram.me/", "https://telegram.me/"]) + H
            self.find("telegram", value, raw, where)
            return raw
        if f == 6:
            raw = f"https://t.me/{H}"
            self.find("telegram", value, raw, "href")
            return f'<a href="{raw}">{rng.choice(["Telegram", "✈ write me", "Message me", "TG channel", "Join"])}</a>'
        if f == 7:
            raw = f"tg://resolve?domain={H}"
            self.find("telegram", value, raw, "href")
            return f'<a href="{raw}">Open in Telegram</a>'
        if f == 8:
            raw = f"t.me/{H}/{rng.randrange(2, 900)}"
            self.find("telegram", value, raw, where)
            return f"see post https://{raw}"
        if f == 9:
            raw = "@" + H
            self.find("telegram", value, raw, where)
            return f"✈️ {raw}"
        if f == 10:
            raw = "@" + H
            self.find("telegram", value, raw, where)
            return f"Telegram ({rng.choice(['fast reply', 'main', 'backup', 'only'])}): {raw}"
        raw = f"https://t.me/{H}"
        self.find("telegram", value, raw, "href")
        self.find("telegram", value, "@" + H, where)
        return f'<a href="{raw}">@{H}</a>'

    def messenger(self, kind=None, where="text"):
        rng = self.rng
        kind = kind or rng.choices(["signal", "session", "wickr", "discord", "snapchat", "kik", "wechat"],
                                   [1.3, 1.3, 1.3, 1.5, 1.4, 1.2, 1.1])[0]
        if kind == "session":
            v = new_session(rng)
            self.find("session", v, v, where)
            return rng.choice([f"Session: {v}", f"Session ID ➜ {v}", f"🔐 Session {v}", f"add me on Session: {v}"])
        if kind == "signal":
            h = handle(rng, 3, 20, allow=("_",), digits=False) + "." + f"{rng.randrange(1, 99):02d}"
            v = h.lower()
            raw = caseify(rng, h, 0.15)
            self.find("signal", v, raw, where)
            return rng.choice([f"Signal: {raw}", f"Signal ➜ {raw}", f"💬 Signal username {raw}", f"signal — {raw}"])
        lo, hi = {"kik": (6, 20), "wechat": (6, 20), "snapchat": (5, 15)}.get(kind, (5, 20))
        h = handle(rng, lo, hi, allow=("_", ".") if kind != "wechat" else ("_",))
        raw = caseify(rng, h, 0.2)
        v = h.lower()
        if kind == "wickr":
            at = ""
            out = rng.choice([f"Wickr: {raw}", f"Wickr Me: {raw}", f"wickr ➜ {raw}", f"WickrMe — {raw}"])
        elif kind == "discord":
            raw = raw.lower()
            out = rng.choice([f"Discord: {raw}", f"discord ➜ {raw}", f"Discord username: {raw}", f"add me on Discord: {raw}"])
        elif kind == "snapchat":
            if rng.random() < 0.3:
                link = f"snapchat.com/add/{raw}"
                self.find(kind, v, link, where)
                return f"https://{link}"
            out = rng.choice([f"Snapchat: {raw}", f"👻 Snap: {raw}", f"snap ➜ {raw}", f"Snapchat — {raw}"])
        elif kind == "kik":
            out = rng.choice([f"Kik: {raw}", f"kik me: {raw}", f"KIK ➜ {raw}", f"Kik: @{raw}"])
        else:
            out = rng.choice([f"WeChat: {raw}", f"微信：{raw}", f"微信号: {raw}", f"WeChat ID ➜ {raw}"])
        if "@" + raw in out:
            self.find(kind, v, "@" + raw, where)
        else:
            self.find(kind, v, raw, where)
        return out

    def wallet(self, kind, where=None):
        rng = self.rng
        if kind == "btc":
            v = raw = new_btc(rng)
            labs = ["BTC", "Bitcoin", "₿", "BTC address", "Send BTC to", "Bitcoin (segwit)"]
        elif kind == "eth":
            low, chk = new_eth(rng)
            v, raw = low, (chk if rng.random() < 0.5 else low)
            labs = ["ETH", "ETH (ERC-20)", "USDT ERC20", "Ethereum", "Ξ"]
        elif kind == "xmr":
            v = raw = new_xmr(rng)
            labs = ["XMR", "Monero", "ɱ Monero", "XMR address"]
        else:
            v = raw = new_trx(rng)
            labs = ["USDT TRC20", "TRX", "Tron (TRC-20)", "USDT (TRC20)"]
        where = where or rng.choice(["text", "text", "text", "code", "input", "textarea", "title", "alt", "href"])
        lab = rng.choice(labs)
        if where == "text":
            w = raw
            if kind in ("xmr", "btc") and rng.random() < 0.08:
                cut = rng.randrange(10, len(raw) - 10)
                w = raw[:cut] + "<wbr>" + raw[cut:]
            self.find(kind, v, w, "text")
            return f"{lab}: {w}" if rng.random() < 0.85 else f"{lab} ➜ {w}"
        if where == "code":
            self.find(kind, v, raw, "text")
            return f"{lab}: <code>{raw}</code>"
        if where == "input":
            self.find(kind, v, raw, "attr")
            return (f'<label>{lab}</label> <input type="text" readonly value="{raw}" class="addr" '
                    f'onclick="this.select()"> <button type="button">Copy</button>')
        if where == "textarea":
            self.find(kind, v, raw, "textarea")
            return f'<label>{lab}</label><br><textarea readonly rows="2" cols="60">{raw}</textarea>'
        if where == "title":
            self.find(kind, v, raw, "attr")
            return f'<span class="copy" title="{raw}">{lab} — hover to see address, click to copy</span>'
        if where == "alt":
            self.find(kind, v, raw, "attr")
            return f'<img src="/qr/{rng.randrange(10 ** 6, 10 ** 7):x}.png" alt="{raw}" width="160" height="160"><br><small>{lab}</small>'
        # href
        if kind == "btc":
            uri = f"bitcoin:{raw}?amount=0.0{rng.randrange(1, 99)}"
            self.find(kind, v, "bitcoin:" + raw, "href")
            return f'<a href="{uri}">Pay with {lab}</a>'
        if kind == "xmr":
            self.find(kind, v, "monero:" + raw, "href")
            return f'<a href="monero:{raw}">Pay with Monero wallet</a>'
        if kind == "eth":
            self.find(kind, v, raw, "href")
            return f'<a href="https://etherscan.io/address/{raw}">{lab} wallet on etherscan</a>'
        self.find(kind, v, raw, "href")
        return f'<a href="https://tronscan.org/#/address/{raw}">{lab} on tronscan</a>'

    def onion(self, where="text"):
        rng = self.rng
        v = new_onion(rng)
        host = v.upper() if rng.random() < 0.05 else v
        f = rng.randrange(5)
        if f == 0:
            raw = host
            self.find("onion", v, raw, where)
            return f"{rng.choice(['Mirror', 'New address', 'Our site', 'Backup'])}: {raw}"
        if f in (1, 2):
            path = rng.choice(["", "/", "/forum/", "/index.php", "/shop/item?id=" + str(rng.randrange(10, 999))])
            raw = f"http://{host}{path}"
            self.find("onion", v, host, where)
            return raw
        if f == 3:
            self.find("onion", v, host, "href")
            return f'<a href="http://{host}/">{rng.choice(["mirror", "link", "official site", "backup mirror"])}</a>'
        self.find("onion", v, host, "href")
        self.find("onion", v, host, where)
        return f'<a href="http://{host}/">{host}</a>'

    def pgp_armored(self, container=None):
        rng = self.rng
        k = rng.choice(self.keys)
        arm = k["armored"].strip()
        container = container or rng.choice(["pre", "pre", "textarea", "br", "code"])
        if container == "pre":
            raw = arm
            out = f'<pre class="pgp">{raw}</pre>'
            where = "text"
        elif container == "textarea":
            raw = arm
            out = f'<textarea readonly rows="12" cols="66" class="pgp">{raw}</textarea>'
            where = "textarea"
        elif container == "code":
            raw = arm
            out = f'<div class="code"><code>{raw}</code></div>'
            where = "text"
        else:
            raw = arm.replace("\n", "<br>\n")
            out = f'<div class="post-pgp">{raw}</div>'
            where = "text"
        self.find("pgp", k["fingerprint"], raw, where)
        return out

    def pgp_printed(self):
        rng = self.rng
        k = rng.choice(self.keys)
        fp = k["fingerprint"]
        f = rng.randrange(5)
        g = [fp[i:i + 4] for i in range(0, 40, 4)]
        if f == 0:
            raw = " ".join(g[:5]) + "  " + " ".join(g[5:])
            out = f"Key fingerprint = {raw}"
        elif f == 1:
            raw = fp
            out = f"PGP fingerprint: {raw}"
        elif f == 2:
            raw = fp.lower()
            out = f"pgp fpr: <code>{raw}</code>"
        elif f == 3:
            raw = " ".join(g)
            out = f"Fingerprint: {raw}"
        else:
            raw = fp
            out = (f"<pre>pub   {k['algo']} {rng.randrange(2019, 2025)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} [SC]\n"
                   f"      {raw}\nuid           {k['uid']}</pre>")
            for d in re.findall(r"\d{4}-\d\d-\d\d", out):
                self.negative("date", d)
        self.find("pgp", fp, raw, "text")
        return out


# ------------------------------------------------------------ hard negatives


def d(rng, n):
    return "".join(str(rng.randrange(10)) for _ in range(n))


def hexs(rng, n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


NEG = {}


def neg(cls, weight=1):
    def deco(fn):
        NEG[cls] = (fn, weight)
        return fn
    return deco


@neg("ipv4", 3)
def _(p, rng):
    ip = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    if rng.random() < 0.3:
        ip += f":{rng.choice([80, 443, 8080, 9001, 9050, 22, 3389])}"
    t = p.negative("ipv4", ip)
    return rng.choice([f"Last login from {t}", f"IP: {t}", f"Server {t} is down again", f"banned {t} for spam",
                       f"proxy {t}", f"connect to {t}"])


@neg("ipv6", 1)
def _(p, rng):
    g = [hexs(rng, rng.randrange(1, 5)) for _ in range(8)]
    ip = rng.choice([":".join(g), ":".join(g[:3]) + "::" + ":".join(g[6:]), "2a0b:" + ":".join(g[1:4]) + "::1",
                     "fe80::" + ":".join(g[4:])])
    t = p.negative("ipv6", ip)
    return rng.choice([f"IPv6: {t}", f"seen from [{t}]", f"node {t}"])


@neg("mac-address", 0.5)
def _(p, rng):
    t = p.negative("mac-address", ":".join(hexs(rng, 2).upper() for _ in range(6)))
    return f"MAC {t}"


@neg("software-version", 4)
def _(p, rng):
    f = rng.randrange(8)
    if f == 0:
        v = f"{rng.randrange(100, 131)}.0.{rng.randrange(5000, 6800)}.{rng.randrange(10, 250)}"
        ctx = ["Chrome {t}", "works on Chromium {t}", "Google Chrome version {t} (Official Build)"]
    elif f == 1:
        v = f"{rng.randrange(11, 14)}.{rng.randrange(0, 6)}.{rng.randrange(1, 20)}"
        ctx = ["Tor Browser {t}", "update Tor Browser to {t}", "TBB {t}"]
    elif f == 2:
        v = f"{rng.randrange(1, 2)}.{rng.randrange(18, 27)}.{rng.randrange(0, 9)}"
        ctx = ["nginx/{t}", "Server: nginx/{t}"]
    elif f == 3:
        v = f"{rng.randrange(100, 128)}.{rng.randrange(0, 10)}.{rng.randrange(0, 5)}esr"
        ctx = ["Firefox {t}", "based on Firefox {t}"]
    elif f == 4:
        v = f"10.0.{rng.randrange(19041, 22631)}.{rng.randrange(1000, 4500)}"
        ctx = ["Windows {t}", "build {t}"]
    elif f == 5:
        v = f"{rng.randrange(2, 4)}.{rng.randrange(0, 4)}.{rng.randrange(0, 14)}"
        ctx = ["Powered by phpBB® {t}", "XenForo {t}", "MyBB {t}", "Electrum {t}", "Monero GUI v0.{t}"]
    elif f == 6:
        v = f"v{rng.randrange(0, 5)}.{rng.randrange(0, 30)}.{rng.randrange(0, 40)}.{rng.randrange(0, 9999)}"
        ctx = ["client {t}", "release {t}", "firmware {t}"]
    else:
        v = f"{rng.randrange(1, 20)}.{rng.randrange(0, 20)}.{rng.randrange(0, 20)}-{rng.choice(['beta', 'rc1', 'r2', 'build'])}{rng.randrange(100, 9999)}"
        ctx = ["app {t}", "version {t}"]
    t = p.negative("software-version", v)
    return rng.choice(ctx).format(t=t)


@neg("user-agent", 0.5)
def _(p, rng):
    ua = (f"Mozilla/5.0 (Windows NT 10.0; rv:{rng.randrange(102, 128)}.0) Gecko/20100101 Firefox/{rng.randrange(102, 128)}.0"
          if rng.random() < 0.5 else
          f"Mozilla/5.0 (Linux; Android {rng.randrange(9, 15)}; SM-G{rng.randrange(900, 999)}F) AppleWebKit/537.36 "
          f"(KHTML, like Gecko) Chrome/{rng.randrange(100, 131)}.0.{rng.randrange(5000, 6800)}.{rng.randrange(10, 250)} Mobile Safari/537.36")
    t = p.negative("user-agent", ua)
    return f"<small>UA: {t}</small>"


@neg("tracking-number", 4)
def _(p, rng):
    f = rng.randrange(6)
    if f == 0:
        n = rng.choice(["9400", "9205", "9361", "9407"]) + d(rng, 18)
        v = " ".join(n[i:i + 4] for i in range(0, 22, 4)) if rng.random() < 0.6 else n
    elif f == 1:
        v = "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(6)) + d(rng, 10)
    elif f == 2:
        n = d(rng, 12)
        v = f"{n[:4]} {n[4:8]} {n[8:]}"
    elif f == 3:
        v = rng.choice(["RR", "RB", "LX", "CP", "EE", "UA", "LZ"]) + d(rng, 9) + rng.choice(["CN", "GB", "DE", "RU", "TH", "HK", "US"])
    elif f == 4:
        v = "JD" + d(rng, 18)
    else:
        v = d(rng, 10)
    t = p.negative("tracking-number", v)
    return rng.choice([f"Tracking: {t}", f"tracking number {t}", f"Shipped, track {t}", f"Sendungsnummer {t}",
                       f"трек {t}", f"单号 {t}", f"Tracking # {t}"])


@neg("phone-invalid-cc", 4)
def _(p, rng):
    cc = rng.choice(BAD_CC)
    n = new_number(rng, rng.choice(sorted(COUNTRIES)))
    v = rng.choice([f"+{cc} " + " ".join(n.groups), f"+{cc}-" + "-".join(n.groups), f"+{cc}" + "".join(n.groups),
                    f"+{cc} ({n.groups[0]}) " + " ".join(n.groups[1:])])
    t = p.negative("phone-invalid-cc", v)
    return rng.choice([f"{p.lab('phone')}: {t}", f"call {t}", f"📞 {t}", t])


@neg("isbn", 1.5)
def _(p, rng):
    t = p.negative("isbn", new_isbn(rng))
    return rng.choice([f"ISBN {t}", f"ISBN-13: {t}", f"book (ISBN {t})"])


@neg("iban", 1.5)
def _(p, rng):
    t = p.negative("iban", new_iban(rng))
    return rng.choice([f"IBAN: {t}", f"bank transfer to {t}", f"IBAN {t}"])


@neg("card-number", 2)
def _(p, rng):
    t = p.negative("card-number", new_card(rng))
    exp = f"{rng.randrange(1, 13):02d}/{rng.randrange(25, 31)}"
    p.negative("card-expiry", exp)
    return rng.choice([f"CC {t} exp {exp}", f"card: {t} ({exp})", f"dump {t} | {exp}"])


@neg("unix-timestamp", 2)
def _(p, rng):
    t = p.negative("unix-timestamp", str(rng.randrange(1600000000, 1760000000)) + (d(rng, 3) if rng.random() < 0.3 else ""))
    return rng.choice([f"ts={t}", f"Last seen: {t}", f"created {t}", f"nonce {t}"])


@neg("datetime", 3)
def _(p, rng):
    y, m, dd, hh, mm, ss = rng.randrange(2019, 2026), rng.randrange(1, 13), rng.randrange(1, 29), rng.randrange(24), rng.randrange(60), rng.randrange(60)
    v = rng.choice([f"{y}-{m:02d}-{dd:02d} {hh:02d}:{mm:02d}:{ss:02d}", f"{y}-{m:02d}-{dd:02d}T{hh:02d}:{mm:02d}:{ss:02d}Z",
                    f"{dd:02d}.{m:02d}.{y} {hh:02d}:{mm:02d}", f"{m:02d}/{dd:02d}/{y} {hh % 12 + 1}:{mm:02d} {'AM' if hh < 12 else 'PM'}",
                    f"{y}/{m:02d}/{dd:02d} {hh:02d}:{mm:02d}"])
    t = p.negative("datetime", v)
    return rng.choice([f"Posted {t}", f"Updated: {t}", f"<time>{t}</time>", f"last edit {t}"])


@neg("date", 3)
def _(p, rng):
    y, m, dd = rng.randrange(1970, 2026), rng.randrange(1, 13), rng.randrange(1, 29)
    v = rng.choice([f"{y}-{m:02d}-{dd:02d}", f"{dd:02d}.{m:02d}.{y}", f"{m:02d}/{dd:02d}/{y}", f"{dd}/{m}/{y}",
                    f"{y}年{m}月{dd}日", f"{dd:02d}-{m:02d}-{y}"])
    t = p.negative("date", v)
    return rng.choice([f"Joined: {t}", f"DOB {t}", f"valid until {t}", f"since {t}", f"date: {t}"])


@neg("gps-coordinates", 1.5)
def _(p, rng):
    la, lo = rng.uniform(-60, 70), rng.uniform(-170, 170)
    v = rng.choice([f"{la:.4f}, {lo:.4f}", f"{la:.6f},{lo:.6f}",
                    f"{abs(la):.4f}° {'N' if la >= 0 else 'S'}, {abs(lo):.4f}° {'E' if lo >= 0 else 'W'}",
                    f"{int(abs(la))}°{rng.randrange(60)}′{rng.randrange(60)}″{'N' if la >= 0 else 'S'} {int(abs(lo))}°{rng.randrange(60)}′{rng.randrange(60)}″{'E' if lo >= 0 else 'W'}"])
    t = p.negative("gps-coordinates", v)
    return rng.choice([f"pickup point {t}", f"GPS: {t}", f"meet at {t}"])


@neg("hash-sha256", 1.5)
def _(p, rng):
    t = p.negative("hash-sha256", hexs(rng, 64) if rng.random() < 0.8 else hexs(rng, 64).upper())
    return rng.choice([f"SHA256: {t}", f"sha256sum {t}", f"checksum <code>{t}</code>"])


@neg("hash-md5", 1)
def _(p, rng):
    t = p.negative("hash-md5", hexs(rng, 32))
    return rng.choice([f"MD5 {t}", f"md5: {t}", f"file hash {t}"])


@neg("hash-sha1", 1)
def _(p, rng):
    t = p.negative("hash-sha1", hexs(rng, 40) if rng.random() < 0.6 else hexs(rng, 40).upper())
    return rng.choice([f"SHA1: {t}", f"sha1sum {t}", f"SHA-1 checksum {t}"])


@neg("git-sha", 1)
def _(p, rng):
    full = hexs(rng, 40)
    t = p.negative("git-sha", full if rng.random() < 0.6 else full[:7])
    return rng.choice([f"commit {t}", f"fixed in {t}", f"git checkout {t}"])


@neg("tx-hash", 1.5)
def _(p, rng):
    t = p.negative("tx-hash", rng.choice(["0x" + hexs(rng, 64), hexs(rng, 64)]))
    return rng.choice([f"TXID: {t}", f"tx {t}", f"payment sent, hash {t}"])


@neg("base64", 1.5)
def _(p, rng):
    b = base64.b64encode(rbytes(rng, rng.randrange(24, 120))).decode()
    t = p.negative("base64", b)
    return rng.choice([f"<code>{t}</code>", f"token: {t}", f"data:application/octet-stream;base64,{t}"])


@neg("css-colour", 1)
def _(p, rng):
    t = p.negative("css-colour", "#" + (hexs(rng, 6) if rng.random() < 0.8 else hexs(rng, 3)))
    return rng.choice([f"theme colour {t}", f"use {t} for links", f'<span style="color:{t}">{t}</span>'])


@neg("price", 4)
def _(p, rng):
    a = rng.randrange(5, 250000)
    v = rng.choice([f"${a:,}.00", f"€{a // 10},{rng.randrange(100):02d}", f"{a:,} ₽".replace(",", " "), f"£ {a:,}",
                    f"0.{rng.randrange(1, 9)}{d(rng, 4)} BTC", f"{a * 10:,} VND".replace(",", "."), f"฿{a:,}",
                    f"USD {a}", f"{a // 7}.{rng.randrange(100):02d} XMR", f"{a:,} ₴".replace(",", " "), f"R$ {a:,},00".replace(",", ".", 1),
                    f"{a} USDT", f"¥{a:,}", f"{a:,} AED"])
    t = p.negative("price", v)
    return rng.choice([f"{p.L['price']}: {t}", f"only {t}", f"{t} per unit", f"<b>{t}</b>"])


@neg("order-number", 3)
def _(p, rng):
    v = rng.choice([f"#{d(rng, 8)}", d(rng, 10), f"{rng.randrange(2020, 2026)}{d(rng, 4)}-{d(rng, 4)}", f"ORD-{d(rng, 9)}",
                    f"{d(rng, 3)}-{d(rng, 7)}-{d(rng, 7)}", d(rng, 12)])
    t = p.negative("order-number", v)
    return rng.choice([f"{p.L['order']} {t}", f"Order ID: {t}", f"order no. {t}", f"Your order {t} is confirmed"])


@neg("invoice-id", 2)
def _(p, rng):
    v = rng.choice([f"INV-{rng.randrange(2020, 2026)}-{d(rng, 6)}", f"{d(rng, 4)}/{rng.randrange(2020, 2026)}", f"FV {d(rng, 3)}/{d(rng, 2)}/{rng.randrange(2020, 2026)}",
                    f"INV{d(rng, 9)}", f"{rng.randrange(2020, 2026)}-{d(rng, 5)}"])
    t = p.negative("invoice-id", v)
    return rng.choice([f"Invoice {t}", f"invoice no. {t}", f"Rechnung {t}", f"Ref: {t}"])


@neg("btc-bad-checksum", 3)
def _(p, rng):
    t = p.negative("btc-bad-checksum", bad_btc(rng))
    return rng.choice([f"BTC: {t}", f"old wallet {t} (do not use)", f"Bitcoin {t}", f'<input readonly value="{t}">'])


@neg("eth-bad-eip55", 2.5)
def _(p, rng):
    t = p.negative("eth-bad-eip55", bad_eth(rng))
    return rng.choice([f"ETH: {t}", f"send ERC-20 to {t}", f"Ethereum {t}", f'<textarea readonly>{t}</textarea>'])


@neg("xmr-bad-checksum", 2)
def _(p, rng):
    t = p.negative("xmr-bad-checksum", bad_xmr(rng))
    return rng.choice([f"XMR: {t}", f"Monero {t}", f'<textarea readonly>{t}</textarea>'])


@neg("trx-bad-checksum", 2)
def _(p, rng):
    t = p.negative("trx-bad-checksum", bad_trx(rng))
    return rng.choice([f"USDT TRC20: {t}", f"TRX {t}", f'<input readonly value="{t}">'])


@neg("onion-bad-checksum", 2.5)
def _(p, rng):
    t = p.negative("onion-bad-checksum", bad_onion(rng))
    return rng.choice([f"Mirror: http://{t}/", f"phishing link {t}", f"{t}"])


@neg("onion-v2-obsolete", 0.5)
def _(p, rng):
    t = p.negative("onion-v2-obsolete", "".join(rng.choice(B32L) for _ in range(16)) + ".onion")
    return rng.choice([f"old v2 address {t} (dead)", f"legacy: http://{t}"])


@neg("onion-truncated", 0.7)
def _(p, rng):
    o = new_onion(rng)
    t = p.negative("onion-truncated", o[:rng.randrange(8, 16)] + rng.choice(["…", "...", "…"]) + o[50:56] + ".onion")
    return f"link {t}"


@neg("email-image-filename", 2)
def _(p, rng):
    name = rng.choice(["photo", "avatar", "logo", "banner", "icon-home", "img_" + d(rng, 4), "girl" + d(rng, 2), "preview"])
    t = p.negative("email-image-filename", f"{name}@{rng.choice(['2x', '3x', '1.5x'])}.{rng.choice(['png', 'jpg', 'webp', 'jpeg'])}")
    return rng.choice([f"attachment: {t}", f'<img src="/uploads/{t}" alt="preview"> {t}', f"📎 {t}"])


@neg("package-at-version", 1)
def _(p, rng):
    t = p.negative("package-at-version", rng.choice(["lodash", "react", "jquery", "@babel/core", "bootstrap", "axios", "torsocks"]) +
                   f"@{rng.randrange(1, 20)}.{rng.randrange(0, 30)}.{rng.randrange(0, 30)}")
    return f"npm install {t}" if rng.random() < 0.5 else f"needs {t}"


@neg("mention", 2.5)
def _(p, rng):
    h = handle(rng, 4, 20)
    t = p.negative("mention", "@" + h)
    return rng.choice([f"{t} {p.L['wrote']}:", f"{t} thanks, got it", f"reply to {t}", f"cc {t}", f"{t} you are banned"])


@neg("other-social", 1.5)
def _(p, rng):
    h = handle(rng, 4, 20)
    f = rng.randrange(5)
    if f == 0:
        t = p.negative("other-social", "@" + h)
        return f"Instagram: {t}"
    if f == 1:
        t = p.negative("other-social", "@" + h)
        return f"Twitter/X: {t}"
    if f == 2:
        t = p.negative("other-social", f"instagram.com/{h}")
        return f"https://{t}"
    if f == 3:
        t = p.negative("other-social", f"x.com/{h}")
        return f"follow https://{t}"
    t = p.negative("other-social", "@" + h)
    return f"TikTok {t}"


@neg("pgp-key-id", 1.2)
def _(p, rng):
    k = rng.choice(p.keys)
    t = p.negative("pgp-key-id", "0x" + k["fingerprint"][-16:] if rng.random() < 0.6 else "0x" + k["fingerprint"][-8:])
    return rng.choice([f"Key ID: {t}", f"my key {t}", f"gpg --recv-keys {t}"])


@neg("ean-barcode", 1)
def _(p, rng):
    t = p.negative("ean-barcode", new_ean(rng))
    return rng.choice([f"EAN {t}", f"barcode: {t}", f"GTIN {t}"])


@neg("uuid", 1)
def _(p, rng):
    h = hexs(rng, 32)
    t = p.negative("uuid", f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rng.choice('89ab')}{h[17:20]}-{h[20:]}")
    return rng.choice([f"session {t}", f"request id {t}", f"uuid={t}"])


@neg("postal-code", 0.7)
def _(p, rng):
    t = p.negative("postal-code", rng.choice([d(rng, 5), f"{d(rng, 2)}-{d(rng, 3)}", f"SW{rng.randrange(1, 20)} {rng.randrange(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}", d(rng, 6), f"{d(rng, 5)}-{d(rng, 3)}"]))
    return rng.choice([f"ZIP {t}", f"postcode {t}", f"индекс {t}"])


@neg("icq-uin", 0.6)
def _(p, rng):
    n = d(rng, 9)
    t = p.negative("icq-uin", rng.choice([n, f"{n[:3]}-{n[3:6]}-{n[6:]}", f"{n[:3]} {n[3:6]} {n[6:]}"]))
    return f"ICQ: {t}"


@neg("tg-invite-link", 0.8)
def _(p, rng):
    code = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") for _ in range(16))
    t = p.negative("tg-invite-link", rng.choice([f"t.me/+{code}", f"t.me/joinchat/{code}"]))
    return rng.choice([f"private group: https://{t}", f"join https://{t}"])


@neg("measurement", 1)
def _(p, rng):
    t = p.negative("measurement", rng.choice([f"{rng.randrange(640, 4000)}x{rng.randrange(480, 2200)}", f"{rng.randrange(1, 99)}.{rng.randrange(10)} kg",
                                              f"{rng.randrange(150, 190)} cm", f"{rng.randrange(80, 100)}-{rng.randrange(55, 70)}-{rng.randrange(85, 100)}",
                                              f"{rng.randrange(1, 9)}.{rng.randrange(10)} GB"]))
    return rng.choice([f"size {t}", f"({t})", f"params: {t}"])


@neg("bank-account", 0.8)
def _(p, rng):
    t = p.negative("bank-account", rng.choice([f"{d(rng, 2)}-{d(rng, 2)}-{d(rng, 2)} {d(rng, 8)}", f"{d(rng, 20)}", f"{d(rng, 4)} {d(rng, 4)} {d(rng, 4)} {d(rng, 4)} {d(rng, 4)}"]))
    return rng.choice([f"account {t}", f"sort code / acc {t}", f"р/с {t}"])


@neg("licence-key", 0.6)
def _(p, rng):
    t = p.negative("licence-key", "-".join("".join(rng.choice("BCDFGHJKMPQRTVWXY2346789") for _ in range(5)) for _ in range(5)))
    return f"key {t}"


@neg("post-id", 1.5)
def _(p, rng):
    t = p.negative("post-id", rng.choice([f"#p{d(rng, 7)}", f"Post #{rng.randrange(1, 99999)}", f"thread {d(rng, 7)}", f"t={d(rng, 6)}"]))
    return f"<small>{t}</small>"


@neg("filename-digits", 1.2)
def _(p, rng):
    t = p.negative("filename-digits", rng.choice([f"IMG_{rng.randrange(2019, 2026)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}_{d(rng, 6)}.jpg",
                                                  f"DSC{d(rng, 5)}.JPG", f"VID-{rng.randrange(2019, 2026)}{d(rng, 4)}-WA{d(rng, 4)}.mp4",
                                                  f"scan_{d(rng, 10)}.pdf", f"backup-{d(rng, 8)}-{d(rng, 6)}.tar.gz"]))
    return rng.choice([f"file {t}", f"📎 {t}", f"download {t}"])


@neg("shell-prompt", 0.5)
def _(p, rng):
    t = p.negative("shell-prompt", f"root@{rng.choice(['vps', 'srv', 'node', 'box'])}-{d(rng, 4)}")
    return f"<code>{t}:~# systemctl restart tor</code>"


@neg("tox-id", 0.4)
def _(p, rng):
    t = p.negative("tox-id", rng.choice("6789ABCDEF") + hexs(rng, 75).upper())
    return f"Tox: {t}"


@neg("copyright-years", 0.7)
def _(p, rng):
    y = rng.randrange(2012, 2022)
    t = p.negative("copyright-years", f"{y}–{rng.randrange(y + 1, 2026)}" if rng.random() < 0.5 else f"{y}-{rng.randrange(y + 1, 2026)}")
    return f"© {t}"


NEG_CLASSES = sorted(NEG)
NEG_WEIGHTS = [NEG[c][1] for c in NEG_CLASSES]


def some_negative(p, cls=None):
    rng = p.rng
    cls = cls or rng.choices(NEG_CLASSES, NEG_WEIGHTS)[0]
    return NEG[cls][0](p, rng)


# ---------------------------------------------------------- invisible parts

def script_block(p):
    """A <script> holding real, checksum-valid contacts: not visible, not findings."""
    rng = p.rng
    items = []
    for _ in range(rng.randrange(1, 4)):
        k = rng.randrange(6)
        if k == 0:
            l, dm = email_parts(rng)
            items.append(("email", f"{l}@{dm}"))
        elif k == 1:
            items.append(("tg", "@" + handle(rng, 5, 20)))
        elif k == 2:
            items.append(("btc", new_btc(rng)))
        elif k == 3:
            items.append(("phone", fmt_intl(rng, new_number(rng, rng.choice(sorted(COUNTRIES))), p.region)))
        elif k == 4:
            items.append(("eth", new_eth(rng)[1]))
        else:
            items.append(("onion", new_onion(rng)))
    body = ",\n  ".join(f'{k}: "{p.negative("in-script", v)}"' for k, v in items)
    if rng.random() < 0.3:
        return ('<script type="application/ld+json">{"@context":"https://schema.org","@type":"Organization",'
                + ",".join(f'"{k}":"{v}"' for k, v in items) + "}</script>")
    return f"<script>\nwindow.__cfg = {{\n  {body}\n}};\nfunction copyAddr(el){{navigator.clipboard.writeText(el.value)}}\n</script>"


def style_block(p):
    rng = p.rng
    css = [".post{margin:0 0 1em;border:1px solid #ccc}", ".sig{font-size:11px;color:#777}", ".hidden{display:none}",
           "table.t td{padding:2px 6px}", ".spoiler-body{display:none}", "body{font-family:sans-serif}"]
    extra = ""
    if rng.random() < 0.5:
        l, dm = email_parts(rng)
        e = p.negative("in-style", f"{l}@{dm}")
        extra = f"/* layout by {e} */\n"
    if rng.random() < 0.3:
        b = p.negative("in-style", new_btc(rng))
        extra += f".donate::before{{/* {b} */}}\n"
    return "<style>\n" + extra + "\n".join(rng.sample(css, 4)) + "\n</style>"


def comment_block(p):
    rng = p.rng
    k = rng.randrange(3)
    if k == 0:
        v = p.negative("in-comment", "@" + handle(rng, 5, 20))
        return f"<!-- old admin telegram {v}, do not publish -->"
    if k == 1:
        v = p.negative("in-comment", fmt_intl(rng, new_number(rng, rng.choice(sorted(COUNTRIES))), p.region))
        return f"<!-- TODO remove test number {v} -->"
    v = p.negative("in-comment", new_xmr(rng) if rng.random() < 0.5 else new_onion(rng))
    return f"<!-- {v} -->"


# ---------------------------------------------------------------- layouts

def wrap(p, title, body, nav=True):
    rng = p.rng
    head = [style_block(p)]
    if rng.random() < 0.55:
        head.append(script_block(p))
    dirattr = ' dir="rtl"' if p.lang in RTL else ""
    navhtml = ""
    if nav:
        navhtml = ('<nav class="top"><a href="/">Home</a> | <a href="/forum/">Forum</a> | <a href="/market/">Market</a> | '
                   '<a href="/rules">Rules</a> | <a href="/login">Login</a></nav>\n')
    foot_neg = some_negative(p, rng.choice(["software-version", "copyright-years", "datetime", "ipv4"]))
    tail = ""
    if rng.random() < 0.5:
        tail = comment_block(p) + "\n"
    if rng.random() < 0.2:
        tail += script_block(p) + "\n"
    return (f'<!DOCTYPE html>\n<html lang="{p.lang}"{dirattr}>\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n" + "\n".join(head) + "\n</head>\n<body>\n" + navhtml +
            body + f'\n<footer><hr><small>{foot_neg}</small></footer>\n' + tail + "</body>\n</html>\n")


def pick_contacts(p, n, weights=None):
    """n contact snippets of assorted kinds."""
    rng = p.rng
    w = weights or {"phone": 16, "email": 13, "telegram": 12, "whatsapp": 6, "btc": 14, "eth": 5, "xmr": 4, "trx": 3,
                    "onion": 4, "pgp_p": 2, "msg": 18}
    kinds = list(w)
    out = []
    for _ in range(n):
        k = rng.choices(kinds, [w[x] for x in kinds])[0]
        out.append(contact(p, k))
    return out


def contact(p, k, where=None):
    if k == "phone":
        return p.phone()
    if k == "email":
        return p.email()
    if k == "telegram":
        return p.telegram()
    if k == "whatsapp":
        return p.whatsapp()
    if k in ("btc", "eth", "xmr", "trx"):
        return p.wallet(k, where)
    if k == "onion":
        return p.onion()
    if k == "pgp_p":
        return p.pgp_printed()
    if k == "pgp_a":
        return p.pgp_armored()
    return p.messenger()


def negs(p, n):
    return [some_negative(p) for _ in range(n)]


def mix(p, items, per=(1, 3)):
    """Interleave snippets with filler sentences into paragraphs."""
    rng = p.rng
    items = items[:]
    rng.shuffle(items)
    paras = []
    while items:
        k = min(len(items), rng.randrange(per[0], per[1] + 1))
        chunk, items = items[:k], items[k:]
        bits = []
        for c in chunk:
            if rng.random() < 0.5:
                bits.append(p.filler())
            bits.append(c)
        sep = rng.choice(["<br>\n", " ", " | ", "<br>", " · "])
        paras.append("<p>" + sep.join(bits) + "</p>")
    return "\n".join(paras)


def spoiler(p, inner):
    rng = p.rng
    f = rng.randrange(4)
    if f == 0:
        return (f'<div class="spoiler"><button type="button">Show contacts</button>'
                f'<div class="spoiler-body" style="display:none">{inner}</div></div>')
    if f == 1:
        return f"<details><summary>{p.L['contacts']}</summary>{inner}</details>"
    if f == 2:
        return f'<div hidden class="reveal">{inner}</div>'
    return f'<span class="hide-guest" style="visibility:hidden">{inner}</span>'


def hidden_contact(p):
    """A contact inside a collapsed / hidden element: a finding (see README)."""
    rng = p.rng
    k = rng.choice(["telegram", "phone", "email", "btc", "whatsapp"])
    before = set(p.f)
    if k == "telegram":
        s = p.telegram(where="hidden")
    elif k == "phone":
        s = p.phone(where="hidden")
    elif k == "email":
        s = p.email(where="hidden", form=rng.choice(["plain", "brk", "symbrk"]))
    elif k == "btc":
        v = new_btc(rng)
        s = p.find("btc", v, v, "hidden")
        s = f"BTC: {s}"
    else:
        n = new_number(rng, p.region)
        raw = fmt_intl(rng, n, p.region)
        p.find("whatsapp", n.e164, raw, "hidden")
        p.find("phone", n.e164, raw, "hidden", optional=True)
        s = f"WhatsApp: {raw}"
    for key in set(p.f) - before:
        if "hidden" not in p.f[key]["where"]:
            p.f[key]["where"].append("hidden")
    return spoiler(p, s)


def username(p):
    return handle(p.rng, 4, 18)


def signature(p):
    rng = p.rng
    items = pick_contacts(p, rng.randrange(1, 3), {"telegram": 5, "email": 4, "onion": 2, "pgp_p": 2, "msg": 6, "btc": 3, "phone": 2})
    if rng.random() < 0.3:
        items.append(some_negative(p, rng.choice(["software-version", "pgp-key-id", "other-social", "date"])))
    return f'<div class="sig">--<br>{" | ".join(items)}</div>'


def post(p, author, body, quote=None, sig=True):
    rng = p.rng
    meta = some_negative(p, rng.choice(["datetime", "post-id", "date"]))
    q = ""
    if quote:
        q = f'<blockquote class="quote"><cite>{quote[0]} {p.L["wrote"]}:</cite>{quote[1]}</blockquote>'
    s = signature(p) if sig and rng.random() < 0.55 else ""
    return (f'<article class="post"><header><b class="author">{author}</b> <span class="meta">{meta}</span></header>'
            f'<div class="content">{q}{body}</div>{s}</article>')


def pagination(p):
    rng = p.rng
    if not hasattr(p, "pages"):
        p.pages = rng.randrange(5, 400)
        p.cur = rng.randrange(1, p.pages)
    last, cur = p.pages, p.cur
    t = p.negative("pagination", f"Page {cur} of {last}")
    links = " ".join(f'<a href="?page={i}">{i}</a>' for i in range(max(1, cur - 2), min(last, cur + 3)))
    return f'<div class="pagination">{t} « {links} … <a href="?page={last}">{last}</a> »</div>'


def L_forum(p):
    rng = p.rng
    authors = [username(p) for _ in range(rng.randrange(3, 6))]
    posts = []
    prev = None
    for i in range(rng.randrange(3, 7)):
        a = rng.choice(authors)
        items = pick_contacts(p, rng.randrange(0, 3)) + negs(p, rng.randrange(1, 4))
        if rng.random() < 0.2:
            items.append(hidden_contact(p))
        body = mix(p, items) if items else f"<p>{p.filler(2)}</p>"
        quote = prev if prev and rng.random() < 0.4 else None
        if quote is None and rng.random() < 0.25:
            quote = (rng.choice(authors), f"<p>{some_negative(p, 'mention')} {p.filler()}</p>")
        posts.append(post(p, a, body, quote))
        prev = (a, body)
    if rng.random() < 0.25:
        posts.append(post(p, rng.choice(authors), p.pgp_armored(), sig=False))
    title = rng.choice(["Job offers abroad — who has experience?", "Vendor review thread", "[WTS] documents, visas",
                        "Recruiters list", "Scam report", "Need driver for transfers"])
    body = f'<h1>{title}</h1>\n{pagination(p)}\n' + "\n".join(posts) + f"\n{pagination(p)}"
    return title, body


def L_market(p):
    rng = p.rng
    title = rng.choice(["Listing: passports & visas", "Listing: work permits", "Premium accounts", "Transport service",
                        "Escort booking (agency)", "Bulk SIM cards"])
    rows = []
    for _ in range(rng.randrange(2, 5)):
        rows.append(f"<tr><td>{rng.choice(['Basic', 'Standard', 'Express', 'VIP', 'Bulk x10'])}</td><td>{some_negative(p, 'price')}</td>"
                    f"<td>{some_negative(p, rng.choice(['measurement', 'ean-barcode', 'order-number']))}</td></tr>")
    vendor = username(p)
    box = mix(p, pick_contacts(p, rng.randrange(2, 5), {"telegram": 5, "email": 3, "phone": 3, "whatsapp": 3, "msg": 6, "onion": 2, "pgp_p": 1}))
    pay = [p.wallet(k) for k in rng.sample(["btc", "eth", "xmr", "trx"], rng.randrange(1, 4))]
    extra = mix(p, negs(p, rng.randrange(4, 8)))
    body = (f"<h1>{title}</h1><div class='vendor'>Vendor: <b>{vendor}</b> ({some_negative(p, 'date')})</div>\n"
            f"<table class='t'><tr><th>Option</th><th>{p.L['price']}</th><th>Info</th></tr>{''.join(rows)}</table>\n"
            f"<section class='desc'><p>{p.filler(3)}</p>{extra}</section>\n<section class='contact'><h3>{p.L['contacts']}</h3>{box}</section>\n"
            f"<section class='pay'><h3>Payment</h3>" + "<br>\n".join(pay) + "</section>")
    if rng.random() < 0.3:
        body += hidden_contact(p)
    return title, body


def L_vendor(p):
    rng = p.rng
    name = username(p)
    dl = []
    dl.append(f"<dt>Member since</dt><dd>{some_negative(p, 'date')}</dd>")
    dl.append(f"<dt>Last seen</dt><dd>{some_negative(p, rng.choice(['datetime', 'unix-timestamp']))}</dd>")
    dl.append(f"<dt>Sales</dt><dd>{rng.randrange(10, 5000)} orders</dd>")
    for c in pick_contacts(p, rng.randrange(2, 5), {"telegram": 4, "email": 4, "msg": 8, "phone": 2, "onion": 2, "whatsapp": 1}):
        dl.append(f"<dt>{p.L['contacts']}</dt><dd>{c}</dd>")
    key = p.pgp_armored() if rng.random() < 0.75 else ""
    fp = f"<p>{p.pgp_printed()}</p>" if rng.random() < 0.5 else ""
    neg = mix(p, negs(p, rng.randrange(4, 8)))
    wallet = f"<p>{p.wallet(rng.choice(['btc', 'xmr', 'eth', 'trx']))}</p>" if rng.random() < 0.6 else ""
    body = (f"<h1>Vendor profile: {name}</h1><dl class='profile'>{''.join(dl)}</dl>{fp}<h3>PGP</h3>{key}"
            f"<h3>About</h3><p>{p.filler(2)}</p>{neg}{wallet}")
    return f"{name} — profile", body


def L_table(p):
    rng = p.rng
    hdr = "<tr><th>Recruiter</th><th>Telegram</th><th>Phone</th><th>Payout wallet</th><th>Last seen</th><th>Ref</th></tr>"
    rows = []
    for _ in range(rng.randrange(4, 9)):
        tg = p.telegram() if rng.random() < 0.8 else "—"
        ph = p.phone(plain=True) if rng.random() < 0.7 else some_negative(p, "phone-invalid-cc")
        w = p.wallet(rng.choice(["btc", "trx", "eth", "xmr"]), where=rng.choice(["text", "code", "title"])) if rng.random() < 0.6 else \
            some_negative(p, rng.choice(["btc-bad-checksum", "trx-bad-checksum", "eth-bad-eip55"]))
        rows.append(f"<tr><td>{username(p)}</td><td>{tg}</td><td>{ph}</td><td>{w}</td>"
                    f"<td>{some_negative(p, rng.choice(['datetime', 'date', 'unix-timestamp']))}</td>"
                    f"<td>{some_negative(p, rng.choice(['order-number', 'invoice-id', 'post-id', 'tracking-number']))}</td></tr>")
    body = (f"<h1>{rng.choice(['Verified recruiters', 'Contact list (updated)', 'Agents by city', 'Black list / white list'])}</h1>"
            f"<p>{p.filler()}</p><table class='t' border='1'>{hdr}{''.join(rows)}</table>{mix(p, negs(p, rng.randrange(1, 4)))}{pagination(p)}")
    return "Contact table", body


def L_checkout(p):
    rng = p.rng
    inv = some_negative(p, "invoice-id")
    order = some_negative(p, "order-number")
    amt = some_negative(p, "price")
    kinds = rng.sample(["btc", "eth", "xmr", "trx"], rng.randrange(1, 4))
    fields = []
    for k in kinds:
        fields.append(f"<div class='payfield'>{p.wallet(k, where=rng.choice(['input', 'textarea', 'alt', 'title', 'href', 'input']))}</div>")
    if rng.random() < 0.5:
        fields.append(f"<div class='payfield'>{some_negative(p, rng.choice(['btc-bad-checksum', 'eth-bad-eip55', 'xmr-bad-checksum', 'trx-bad-checksum']))}</div>")
    support = p.email(where="attr")
    sup = f'<label>Support</label> <input type="email" readonly value="{support}">'
    extra = mix(p, negs(p, rng.randrange(4, 9)) + pick_contacts(p, rng.randrange(0, 2), {"telegram": 3, "onion": 2, "email": 1}))
    body = (f"<h1>Checkout</h1><form method='post' action='/pay'><p>Invoice {inv} · {p.L['order']} {order} · {amt}</p>"
            + "\n".join(fields) + f"<p>{sup}</p><p><label>Delivery note</label><textarea name='note'></textarea></p>"
            f"<input type='hidden' name='csrf' value='{hexs(rng, 32)}'><button>I have paid</button></form>{extra}")
    return "Checkout", body


def L_classified(p):
    rng = p.rng
    items = pick_contacts(p, rng.randrange(3, 7), {"phone": 8, "whatsapp": 7, "telegram": 6, "email": 4, "msg": 7})
    negsx = negs(p, rng.randrange(5, 10))
    title = rng.choice(["URGENT: hostesses wanted abroad", "Work in Dubai — high salary", "Waitresses for Europe, all paid",
                        "Nannies / housekeepers wanted", "Models for tours", "Factory jobs, free housing"])
    body = (f"<div class='ad'><h2>🔥 {title} 🔥</h2><p>{p.filler(2)}</p>{mix(p, items + negsx, (1, 2))}"
            f"<p class='ad-meta'>Ad {some_negative(p, 'post-id')} · {some_negative(p, 'datetime')}</p></div>")
    if rng.random() < 0.4:
        body += hidden_contact(p)
    return title, body


def L_paste(p):
    rng = p.rng
    lines = []
    for _ in range(rng.randrange(8, 16)):
        if rng.random() < 0.4:
            k = rng.choice(["phone", "email", "telegram", "btc", "xmr", "eth", "trx", "onion", "msg", "whatsapp"])
            lines.append(contact(p, k, where="text"))
        else:
            lines.append(some_negative(p, rng.choice(["hash-sha256", "hash-md5", "base64", "ipv4", "ipv6", "uuid", "git-sha",
                                                      "tx-hash", "datetime", "software-version", "shell-prompt", "unix-timestamp",
                                                      "hash-sha1", "licence-key", "mac-address", "filename-digits"])))
    armored = "\n" + p.pgp_armored("pre") if rng.random() < 0.3 else ""
    body = (f"<h1>Paste {some_negative(p, 'uuid')}</h1><div class='meta'>{some_negative(p, 'datetime')} · syntax: text</div>"
            f"<pre class='paste'>" + "\n".join(lines) + f"</pre>{armored}")
    return "Paste", body


def L_directory(p):
    rng = p.rng
    rows = []
    for _ in range(rng.randrange(5, 10)):
        if rng.random() < 0.7:
            o = p.onion()
            st = rng.choice(["🟢 online", "🔴 offline", "🟡 slow"])
        else:
            o = some_negative(p, rng.choice(["onion-bad-checksum", "onion-bad-checksum", "onion-v2-obsolete", "onion-truncated"]))
            st = rng.choice(["⚠ phishing", "☠ dead", "scam clone"])
        rows.append(f"<tr><td>{rng.choice(WORDS).title()} {rng.choice(['Market', 'Forum', 'Jobs', 'Mail', 'Wiki', 'Shop'])}</td><td>{o}</td>"
                    f"<td>{st}</td><td>{some_negative(p, rng.choice(['datetime', 'date', 'measurement']))}</td></tr>")
    body = (f"<h1>Onion link directory</h1><p>Always verify the signed mirror list. {p.filler()}</p>"
            f"<table class='t'><tr><th>Name</th><th>Address</th><th>Status</th><th>Checked</th></tr>{''.join(rows)}</table>"
            f"{mix(p, negs(p, rng.randrange(2, 5)) + pick_contacts(p, rng.randrange(0, 3), {'email': 2, 'pgp_p': 2, 'telegram': 1}))}")
    if rng.random() < 0.3:
        body += p.pgp_armored()
    return "Links", body


def L_chat(p):
    rng = p.rng
    users = [username(p) for _ in range(rng.randrange(2, 5))]
    lines = []
    for _ in range(rng.randrange(10, 20)):
        ts = f"[{rng.randrange(24):02d}:{rng.randrange(60):02d}]"
        u = rng.choice(users)
        r = rng.random()
        if r < 0.3:
            msg = contact(p, rng.choice(["telegram", "phone", "whatsapp", "email", "btc", "trx", "msg"]))
        elif r < 0.6:
            msg = some_negative(p)
        else:
            msg = html.escape(p.filler())
        lines.append(f'<div class="line"><span class="ts">{ts}</span> <b>&lt;{u}&gt;</b> {msg}</div>')
    return "Chat log", f"<h1>#{rng.choice(WORDS)} — log</h1>" + "\n".join(lines)


def L_intl(p):
    """Used for the rtl / cyrillic / cjk / thai layouts: a native-language board post."""
    rng = p.rng
    items = pick_contacts(p, rng.randrange(3, 7), {"phone": 10, "telegram": 6, "whatsapp": 5, "email": 5, "btc": 2, "trx": 3,
                                                   "msg": 6 if p.lang in ("zh", "ja") else 4, "onion": 1})
    if p.lang == "zh" and rng.random() < 0.6:
        items.append(p.messenger("wechat"))
    n = negs(p, rng.randrange(6, 11))
    posts = []
    all_items = items + n
    rng.shuffle(all_items)
    k = rng.randrange(2, 4)
    for i in range(k):
        chunk = all_items[i::k]
        posts.append(post(p, username(p), mix(p, chunk, (1, 2))))
    if rng.random() < 0.3:
        posts.append(post(p, username(p), hidden_contact(p), sig=False))
    title = FILLER[p.lang][0][:30]
    return title, f"<h1>{title}</h1>" + "\n".join(posts) + pagination(p)


def L_faq(p):
    rng = p.rng
    qa = []
    qa.append(("How do I contact support?", mix(p, pick_contacts(p, rng.randrange(1, 4), {"email": 6, "telegram": 3, "msg": 6}))))
    qa.append(("Is there a mirror?", mix(p, [p.onion() for _ in range(rng.randrange(1, 3))] +
                                         [some_negative(p, 'onion-bad-checksum')])))
    qa.append(("Which payment methods?", mix(p, [p.wallet(rng.choice(['btc', 'xmr', 'eth', 'trx'])) for _ in range(rng.randrange(1, 3))] + negs(p, 2))))
    qa.append(("What do the numbers in my dashboard mean?", mix(p, negs(p, rng.randrange(3, 7)))))
    if rng.random() < 0.5:
        qa.append(("How do I verify the admin key?", f"<p>{p.pgp_printed()}</p>" + (p.pgp_armored() if rng.random() < 0.5 else "")))
    qa.append(("Hidden contacts for members", hidden_contact(p)))
    body = "<h1>FAQ</h1>" + "".join(f"<h3>{q}</h3>{a}" for q, a in qa)
    return "FAQ", body


def L_escrow(p):
    rng = p.rng
    rows = []
    for _ in range(rng.randrange(4, 9)):
        k = rng.choice(["btc", "eth", "xmr", "trx"])
        if rng.random() < 0.65:
            w = p.wallet(k, where=rng.choice(["text", "code"]))
        else:
            w = some_negative(p, {"btc": "btc-bad-checksum", "eth": "eth-bad-eip55", "xmr": "xmr-bad-checksum", "trx": "trx-bad-checksum"}[k])
        rows.append(f"<tr><td>{some_negative(p, 'order-number')}</td><td>{w}</td><td>{some_negative(p, 'price')}</td>"
                    f"<td>{some_negative(p, 'tx-hash')}</td><td>{some_negative(p, rng.choice(['datetime', 'unix-timestamp']))}</td></tr>")
    body = (f"<h1>Escrow ledger</h1><p>{p.filler()}</p><table class='t'><tr><th>Deal</th><th>Address</th><th>Amount</th>"
            f"<th>Tx</th><th>Time</th></tr>{''.join(rows)}</table>{mix(p, negs(p, rng.randrange(1, 3)) + pick_contacts(p, rng.randrange(0, 2), {'telegram': 2, 'email': 1}))}")
    return "Escrow", body


def L_cards(p):
    rng = p.rng
    cards = []
    for _ in range(rng.randrange(3, 7)):
        name = username(p)
        inner = []
        k = rng.random()
        if k < 0.3:
            l, dm = email_parts(rng)
            v = f"{l}@{dm}"
            p.find("email", v.lower(), v, "attr")
            inner.append(f'<a class="icon mail" title="{v}">✉</a>')
        elif k < 0.55:
            h = handle(rng, 5, 20)
            p.find("telegram", h.lower(), "@" + h, "attr")
            inner.append(f'<img src="/img/tg.svg" alt="Telegram @{h}" class="icon">')
        elif k < 0.75:
            inner.append(p.phone())
        inner.append(p.filler() if rng.random() < 0.5 else "")
        inner += pick_contacts(p, rng.randrange(0, 2), {"telegram": 2, "whatsapp": 2, "msg": 4, "email": 1, "btc": 1})
        inner += negs(p, rng.randrange(1, 4))
        avatar = some_negative(p, "email-image-filename") if rng.random() < 0.3 else ""
        cards.append(f'<div class="card"><h4>{name}</h4>{avatar}<p>' + "<br>".join(x for x in inner if x) + "</p></div>")
    return "Profiles", "<h1>Featured profiles</h1><div class='grid'>" + "\n".join(cards) + "</div>" + pagination(p)


LAYOUTS = [("forum", L_forum, None), ("market", L_market, None), ("vendor", L_vendor, None), ("table", L_table, None),
           ("checkout", L_checkout, None), ("classified", L_classified, None), ("paste", L_paste, None),
           ("directory", L_directory, None), ("chat", L_chat, None), ("rtl", L_intl, "ar"), ("cyrillic", L_intl, "ru|uk"),
           ("cjk", L_intl, "zh|ja"), ("thai", L_intl, "th"), ("faq", L_faq, None), ("escrow", L_escrow, None),
           ("cards", L_cards, None)]

OTHER_LANGS = ["en"] * 8 + ["es", "pt", "fr", "de", "tr", "vi", "it", "pl", "ro", "nl", "ru"]


def make_page(idx, keys):
    rng = random.Random(SEED * 100003 + idx)
    name, fn, langs = LAYOUTS[idx % len(LAYOUTS)]
    lang = rng.choice(langs.split("|")) if langs else rng.choice(OTHER_LANGS)
    region = rng.choice(LANG_REGIONS[lang])
    p = Page(idx, name, lang, region, rng, keys)
    title, body = fn(p)
    if rng.random() < 0.45:
        body += f"\n<p class='also'>{rng.choice(['Also on', 'Backup contact', 'Alt', '⇢'])}: {p.messenger()}</p>"
    # top up hard negatives so every page carries a fair number of them
    target = rng.randrange(11, 20)
    if len(p.neg) < target:
        body += "\n<aside class='misc'>" + mix(p, negs(p, target - len(p.neg))) + "</aside>"
    doc = wrap(p, title, body)
    return p, doc


def label(p, url):
    findings = []
    for (kind, value), e in sorted(p.f.items()):
        item = {"kind": kind, "value": value, "written": e["written"], "where": e["where"]}
        if e["optional"]:
            item["optional"] = True
        findings.append(item)
    return {"url": url, "region": p.region, "lang": p.lang, "layout": p.layout,
            "findings": findings, "negatives": [{"class": c, "text": t} for c, t in p.neg]}


def main():
    keys = json.load(open(os.path.join(HERE, "keys", "pgp_keys.json")))
    for old in glob.glob(os.path.join(HERE, "[0-9][0-9][0-9]-*.html")) + glob.glob(os.path.join(HERE, "[0-9][0-9][0-9]-*.json")):
        os.remove(old)
    stats_k, stats_n, regions = {}, {}, {}
    for i in range(N_PAGES):
        p, doc = make_page(i, keys)
        stem = f"{i:03d}-{p.layout}"
        url = f"http://blind{i:03d}.example/{p.layout}/{i}"
        with open(os.path.join(HERE, stem + ".html"), "w", encoding="utf-8") as f:
            f.write(doc)
        lab = label(p, url)
        with open(os.path.join(HERE, stem + ".json"), "w", encoding="utf-8") as f:
            json.dump(lab, f, ensure_ascii=False, indent=1)
            f.write("\n")
        for it in lab["findings"]:
            if not it.get("optional"):
                stats_k[it["kind"]] = stats_k.get(it["kind"], 0) + 1
        for it in lab["negatives"]:
            stats_n[it["class"]] = stats_n.get(it["class"], 0) + 1
        regions[p.region] = regions.get(p.region, 0) + 1
    if "--stats" in sys.argv:
        print("findings", sum(stats_k.values()), json.dumps(dict(sorted(stats_k.items()))))
        print("negatives", sum(stats_n.values()), json.dumps(dict(sorted(stats_n.items()))))
        print("regions", len(regions), json.dumps(dict(sorted(regions.items()))))


if __name__ == "__main__":
    main()
