#!/usr/bin/env python3
"""Make the pool of real OpenPGP public keys the blind corpus plants.

Run once (key generation is random, so this is NOT part of the deterministic
build): it drives GnuPG in a throw-away home directory and writes
keys/pgp_keys.json beside this file: a list of {uid, algo, fingerprint, armored}.
gen.py reads that file; check.py re-derives every fingerprint from the
armored text with pgpy and compares.

User IDs are bare pseudonyms with no e-mail address, so that an armored key
carries no second contact that a label would have to account for.

    python3 testdata/extract/blind/make_keys.py [count]
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

NAMES = [
    "nightowl_vendor", "darkpharma", "silkroad_remnant", "coldstorage",
    "ghostline", "bluelotus", "ironcurtain", "midnightexpress", "northstar",
    "quietharbor", "redmaple", "saltwater", "tundra_supply", "velvetroom",
    "whitecliff", "yellowtail", "zerocool_shop", "amberlight", "blackpine",
    "copperfox", "driftwood", "emberline", "frostbyte", "granite_ops",
    "hollowpoint", "indigo_drop", "jadegate", "kestrel", "lanternfish",
    "moonshadow", "nomadic_logistics", "obsidian", "paperboat", "quartzhill",
    "riverbend", "sandstorm", "tidewater", "umbra", "vantage",
    "willowisp", "xenon_market", "yonder", "zephyr",
]


def gpg(home, *args, inp=None):
    return subprocess.run(
        ["gpg", "--homedir", home, "--batch", "--yes", "--pinentry-mode",
         "loopback", "--passphrase", ""] + list(args),
        input=inp, capture_output=True, check=True)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    keys = []
    with tempfile.TemporaryDirectory() as home:
        os.chmod(home, 0o700)
        for i in range(count):
            uid = NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else str(i))
            if i % 3 == 2:
                algo = "rsa2048"
            elif i % 3 == 1:
                algo = "rsa3072"
            else:
                algo = "ed25519"
            gpg(home, "--quick-gen-key", uid, algo, "sign", "never")
            out = gpg(home, "--with-colons", "--fingerprint", "=" + uid).stdout.decode()
            fpr = [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][0]
            if i % 4 != 3:
                # an encryption subkey, as GnuPG's default key has: the label
                # stays the PRIMARY key's fingerprint
                sub = "cv25519" if algo == "ed25519" else algo
                gpg(home, "--quick-add-key", fpr, sub, "encr", "never")
            arm = gpg(home, "--armor", "--export", fpr).stdout.decode()
            keys.append({"uid": uid, "algo": algo, "fingerprint": fpr.upper(), "armored": arm})
            print(i, algo, fpr, file=sys.stderr)
    with open(os.path.join(HERE, "keys", "pgp_keys.json"), "w") as f:
        json.dump(keys, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
