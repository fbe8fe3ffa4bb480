#!/usr/bin/env python3
"""Verify a Kapsel consent-ledger JSONL export without Kapsel (see docs/ledger.md).

Usage: ledger-verify.py [--partial] [--keys KEYS] [--checkpoint NOTE]... EXPORT.jsonl
       ledger-verify.py --receipt RECEIPT.json --keys KEYS
The export must end with its signed trailer; --keys (the JSON of /.well-known/kapsel/keys or
verifier keys one per line) pins the keys, else the export's own are used; each --checkpoint
(a signed note kept earlier) must agree with the chain. A chain that `kapsel ledger prune` cut
is verified from its newest signed seal in the trailer. --receipt checks a receipt's signature.
Exit status 0 when everything verifies, 1 when something is broken, 2 on unreadable input.
Signatures are checked with the `cryptography` package (or PyNaCl): pip install cryptography.
"""
import base64
import hashlib
import json
import sys
import urllib.parse

GENESIS = "0" * 64


def s(value):
    """A length-prefixed string: '<utf-8 byte length>:<bytes>'."""
    return "%d:%s" % (len(value.encode("utf-8")), value)


def opt(value):
    return "none" if value is None else s(value)


def boolean(value):
    return "true" if value else "false"


def choices(name, mapping):
    keys = sorted(mapping, key=lambda k: k.encode("utf-8"))
    return ["%s=%d" % (name, len(keys))] + ["%s=%s" % (s(k), boolean(mapping[k])) for k in keys]


def encode(r):
    c, x = r["choice"], r["context"]
    lines = ["kapsel-consent-record/v1", "id=" + s(r["id"]), "chain_id=" + s(r["chain_id"]),
             "seq=%d" % r["seq"], "recorded_at_ms=%d" % r["recorded_at_ms"],
             "expires_at_ms=%d" % r["expires_at_ms"], "site=" + s(c["site"]),
             "revision=" + s(c["revision"]), "language=" + s(c["language"]),
             "action=" + s(c["action"])]
    lines += choices("categories", c.get("categories", {}))
    lines += choices("services", c.get("services", {}))
    lines += ["previous_receipt=" + opt(c.get("previous_receipt")), "gpc=" + boolean(c.get("gpc", False)),
              "ip_prefix=" + opt(x.get("ip_prefix")), "ua_family=" + s(x["ua_family"]),
              "prev_hash=" + s(r["prev_hash"])]
    return ("\n".join(lines) + "\n").encode("utf-8")


def ed25519_verify(public_key, signature, message):
    """True when `signature` is `public_key`'s Ed25519 signature of `message` (all bytes)."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        try:
            from nacl.exceptions import BadSignatureError
            from nacl.signing import VerifyKey
        except ImportError:
            sys.exit("!!! ledger-verify.py needs an Ed25519 library to check signatures: "
                     "pip install cryptography (or pynacl)")
        try:
            VerifyKey(public_key).verify(message, signature)
            return True
        except BadSignatureError:
            return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    except InvalidSignature:
        return False


def key_id(name, public_key):
    return hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]


def parse_keys(text):
    """[(name, key id, public key)] from the keys JSON or from verifier keys, one per line."""
    try:
        vkeys = [k["verifier_key"] for k in json.loads(text)["keys"]]
    except ValueError:
        vkeys = [line.strip() for line in text.splitlines() if line.strip()]
    keys = []
    for vkey in vkeys:
        name, _, encoded = vkey.split("+", 2)
        raw = base64.b64decode(encoded)
        if raw[:1] == b"\x01" and len(raw) == 33:
            keys.append((name, key_id(name, raw[1:]), raw[1:]))
    return keys


def open_note(note, keys):
    """The text of a signed note (C2SP signed-note) signed by one of `keys`, or an error."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise ValueError("not a signed note")
    body, signed_by = note[:split + 1], None
    for line in note[split + 2:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise ValueError("malformed signature line")
        name, blob = line[2:].split(" ", 1)
        blob = base64.b64decode(blob)
        for key_name, kid, public_key in keys:
            if key_name == name and kid == blob[:4]:
                if not ed25519_verify(public_key, blob[4:], body.encode("utf-8")):
                    raise ValueError("the signature of key %s does not verify" % kid.hex())
                signed_by = signed_by or kid.hex()
    if signed_by is None:
        raise ValueError("not signed by a trusted key")
    return body


def open_checkpoint(note, keys):
    """(chain id, size, head hash hex, time ms) of a verified checkpoint (C2SP tlog-checkpoint
    whose root hash is the chain's head hash)."""
    lines = open_note(note, keys).split("\n")
    origin, size, head = lines[0], int(lines[1]), base64.b64decode(lines[2]).hex()
    time_ms = next(int(l[8:]) for l in lines[3:] if l.startswith("time-ms "))
    chain = urllib.parse.unquote(origin.rsplit("/ledger/", 1)[1])
    return chain, size, head, time_ms


def open_gap(note, keys):
    """(chain id, first missing, last missing, hash before, hash of the last missing) of a
    verified gap acknowledgement (kapsel-gap/v1, made by `kapsel ledger repair`)."""
    lines = open_note(note, keys).split("\n")
    if lines[0] != "kapsel-gap/v1":
        raise ValueError("not a kapsel-gap/v1 note")
    _, found_seq, found_hash = lines[2].split(" ")
    _, recorded_seq, recorded_hash = lines[4].split(" ")
    if lines[3] != "missing %d %s" % (int(found_seq) + 1, recorded_seq):
        raise ValueError("the missing range does not lie between the two heads")
    chain = urllib.parse.unquote(lines[1].rsplit("/ledger/", 1)[1])
    return chain, int(found_seq) + 1, int(recorded_seq), found_hash, recorded_hash


def open_seal(note, keys):
    """(chain id, size, head hash hex, time ms) of a verified seal (kapsel-seal/v1, made by
    `kapsel ledger prune`): records seq 1..size were removed, record size had that hash."""
    lines = open_note(note, keys).split("\n")
    if lines[0] != "kapsel-seal/v1" or not lines[5].startswith("time-ms "):
        raise ValueError("not a kapsel-seal/v1 note")
    _, size, head = lines[3].split(" ")
    if lines[2] != "removed 1 %s" % size or len(head) != 64 or int(size) < 1:
        raise ValueError("the removed range does not end at the head")
    chain = urllib.parse.unquote(lines[1].rsplit("/ledger/", 1)[1])
    return chain, int(size), head, int(lines[5][8:])


def receipt_ok(signature, keys):
    """Checks a receipt's signature: its text is a leaf of a Merkle tree (RFC 6962) whose root the
    key signed in a kapsel-receipt-batch/v1 text."""
    node = hashlib.sha256(b"\x00" + signature["signed"].encode("utf-8")).digest()
    index, last = signature["leaf_index"], signature["batch_size"] - 1
    for sibling in map(bytes.fromhex, signature["path"]):  # RFC 9162, 2.1.3.2
        if last == 0:
            return False
        if index % 2 == 1 or index == last:
            node = hashlib.sha256(b"\x01" + sibling + node).digest()
            while index % 2 == 0 and index != 0:
                index, last = index >> 1, last >> 1
        else:
            node = hashlib.sha256(b"\x01" + node + sibling).digest()
        index, last = index >> 1, last >> 1
    if last != 0:
        return False
    text = ("kapsel-receipt-batch/v1\nkey_id=%s\nsigned_at_ms=%d\nsize=%d\nroot=%s\n" % (
        s(signature["key_id"]), signature["signed_at_ms"], signature["batch_size"], s(node.hex())))
    sig = base64.b64decode(signature["signature"])
    return any(kid.hex() == signature["key_id"] and ed25519_verify(pk, sig, text.encode())
               for _, kid, pk in keys)


def option(argv, name):
    values = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == name]
    rest = [a for i, a in enumerate(argv) if a != name and (i == 0 or argv[i - 1] != name)]
    return values, rest


def main(argv):
    partial = "--partial" in argv
    argv = [a for a in argv if a != "--partial"]
    key_files, argv = option(argv, "--keys")
    checkpoint_files, argv = option(argv, "--checkpoint")
    receipts, paths = option(argv, "--receipt")
    keys = [k for f in key_files for k in parse_keys(open(f, encoding="utf-8").read())]
    if receipts:
        with open(receipts[0], encoding="utf-8") as f:
            receipt = json.load(f)
        ok = receipt_ok(receipt["signature"], keys)
        print("receipt %s: %s" % (receipt.get("id"), "signature ok" if ok else "BROKEN: bad signature"))
        return 0 if ok else 1
    if len(paths) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(paths[0], encoding="utf-8") as f:
        text = f.read()
    body, _, last = text.rstrip("\n").rpartition("\n")
    body = body + "\n" if body else ""
    try:
        trailer = json.loads(last)["kapsel_export_trailer"]
    except (ValueError, KeyError, TypeError):
        print("BROKEN: %s does not end with a signed trailer: cut short, empty, or not a Kapsel "
              "export" % paths[0])
        return 1
    if not keys:
        print("keys: those the export names itself (pin the published ones with --keys)")
        keys = parse_keys("\n".join(trailer["keys"]))
    try:
        export = dict(l.split(" ", 1) for l in open_note(trailer["export"], keys).split("\n")[1:-1])
        heads = {c[0]: c for c in (open_checkpoint(n, keys) for n in trailer["checkpoints"])}
    except (ValueError, IndexError, StopIteration) as err:
        print("BROKEN: the export's signed trailer: %s" % err)
        return 1
    gaps = {}  # chain id -> [(first missing, last missing, hash before, hash of last missing)]
    for note in trailer.get("gaps", []):
        try:
            gap = open_gap(note, keys)
        except (ValueError, IndexError) as err:
            print("BROKEN: a gap acknowledgement in the trailer: %s" % err)
            return 1
        gaps.setdefault(gap[0], []).append(gap[1:])
    seals = {}  # chain id -> (size, head hash, time ms) of its newest seal
    for note in trailer.get("seals", []):
        try:
            chain_id, size, head, time_ms = open_seal(note, keys)
        except (ValueError, IndexError) as err:
            print("BROKEN: a seal in the trailer: %s" % err)
            return 1
        if chain_id not in seals or seals[chain_id][0] < size:
            seals[chain_id] = (size, head, time_ms)
    lines = [l for l in body.split("\n") if l]
    digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
    if digest != export["sha256"] or len(lines) != int(export["records"]):
        print("BROKEN: the file holds %d record line(s), its signed trailer says %s: lines were "
              "removed, added or changed" % (len(lines), export["records"]))
    complete = digest == export["sha256"] and len(lines) == int(export["records"])
    partial = partial or any(export[k] != "*" for k in ("site", "since-ms", "until-ms"))
    chains = {}
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
            chains.setdefault(record["chain_id"], []).append(record)
        except (ValueError, KeyError) as err:
            print("%s:%d: not a consent record (%s)" % (paths[0], number, err), file=sys.stderr)
            return 2
    broken = 0 if complete else 1
    for chain_id in heads:
        if not partial and chain_id not in chains:
            broken += 1
            print("chain %s: BROKEN: the trailer signs its head, but no record is here" % chain_id)
    for chain_id, records in sorted(chains.items()):
        records.sort(key=lambda r: r["seq"])
        previous, problem, crossed = None, None, []
        at_seq, at_hash = 0, GENESIS  # where a full chain is: the last seq and hash walked
        seal = None if partial else seals.get(chain_id)
        if seal:  # the records 1..size were pruned: the chain starts after the seal's head
            at_seq, at_hash = seal[0], seal[1]
        ahead = list(gaps.get(chain_id, []))

        def cross():
            """Walks across the acknowledged gap that starts where the chain is, if any."""
            nonlocal at_seq, at_hash
            for gap in ahead:
                if gap[0] == at_seq + 1 and gap[2] == at_hash:
                    ahead.remove(gap)
                    crossed.append(gap)
                    at_seq, at_hash = gap[1], gap[3]
                    return True
            return False

        for r in records:
            computed = hashlib.sha256(encode(r)).hexdigest()
            where = "seq %d (receipt %s)" % (r["seq"], r["id"])
            if not partial and r["seq"] != at_seq + 1:
                cross()
            if seal and r["seq"] <= seal[0]:
                problem = "%s: inside the prefix sealed up to seq %d, yet still here" % (where, seal[0])
            elif computed != r["hash"]:
                problem = "%s: content changed (stored %s, computed %s)" % (where, r["hash"], computed)
            elif not partial and r["seq"] != at_seq + 1:
                problem = "%s: sequence gap after seq %d: records removed" % (where, at_seq)
            elif not partial and r["prev_hash"] != at_hash:
                problem = "%s: link broken: prev_hash does not match seq %d" % (where, at_seq)
            elif partial and previous is not None and r["seq"] == previous["seq"] + 1 and r["prev_hash"] != previous["hash"]:
                problem = "%s: link broken: prev_hash does not match seq %d" % (where, previous["seq"])
            if problem:
                break
            previous, at_seq, at_hash = r, r["seq"], r["hash"]
        head = heads.get(chain_id)
        if not problem and not partial and head is not None and head[1] != at_seq:
            cross()  # an acknowledged gap right at the end
        if not problem and not partial and (head is None or head[1:3] != (at_seq, at_hash)):
            problem = "the export ends at seq %d, head %s, but the trailer signs %s" % (
                at_seq, at_hash, head[1:3] if head else "no head")
        if problem:
            broken += 1
            print("chain %s: BROKEN: %s" % (chain_id, problem))
        else:
            print("chain %s: ok, %d records, head %s%s%s" % (chain_id, len(records), previous["hash"], "".join(
                "; intact with an acknowledged gap of seq %d..%d" % (g[0], g[1]) for g in crossed),
                "; verified from the seal of the removed seq 1..%d sealed at %d ms" % (seal[0], seal[2])
                if seal else ""))
    for path in checkpoint_files:
        try:
            chain_id, size, head, time_ms = open_checkpoint(open(path, encoding="utf-8").read(), keys)
        except (ValueError, IndexError, StopIteration) as err:
            broken += 1
            print("checkpoint %s: BROKEN: %s" % (path, err))
            continue
        found = [r for r in chains.get(chain_id, []) if r["seq"] == size]
        seal = None if partial else seals.get(chain_id)
        if seal and size < seal[0]:
            print("chain %s: the checkpoint of %d records lies inside the prefix sealed up to seq %d: "
                  "its records are gone, so it cannot be checked any more" % (chain_id, size, seal[0]))
        elif seal and size == seal[0]:
            if head != seal[1]:
                broken += 1
                print("chain %s: BROKEN: the checkpoint signed at %d ms says seq %d has hash %s; the seal says %s" % (
                    chain_id, time_ms, size, head, seal[1]))
            else:
                print("chain %s: consistent with the checkpoint of %d records signed at %d ms, through the seal" % (
                    chain_id, size, time_ms))
        elif partial and not found:
            print("checkpoint %s: seq %d is not in this filtered export" % (path, size))
        elif not found or found[0]["hash"] != head:
            broken += 1
            print("chain %s: BROKEN: the checkpoint signed at %d ms says seq %d has hash %s; here: %s" % (
                chain_id, time_ms, size, head, found[0]["hash"] if found else "missing"))
        else:
            print("chain %s: consistent with the checkpoint of %d records signed at %d ms" % (
                chain_id, size, time_ms))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
