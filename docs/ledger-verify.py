#!/usr/bin/env python3
"""Verify a Kapsel consent-ledger JSONL export without Kapsel (see docs/ledger.md).

Usage: ledger-verify.py [--partial] EXPORT.jsonl
Exit status 0 when every chain verifies, 1 when one is broken, 2 on unreadable input.
"""
import hashlib
import json
import sys

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


def main(argv):
    partial = "--partial" in argv
    paths = [a for a in argv if a != "--partial"]
    if len(paths) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    chains = {}
    with open(paths[0], encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    record = json.loads(line)
                    chains.setdefault(record["chain_id"], []).append(record)
                except (ValueError, KeyError) as err:
                    print("%s:%d: not a consent record (%s)" % (paths[0], number, err), file=sys.stderr)
                    return 2
    broken = 0
    for chain_id, records in sorted(chains.items()):
        records.sort(key=lambda r: r["seq"])
        previous, problem = None, None
        for r in records:
            computed = hashlib.sha256(encode(r)).hexdigest()
            where = "seq %d (receipt %s)" % (r["seq"], r["id"])
            if computed != r["hash"]:
                problem = "%s: content changed (stored %s, computed %s)" % (where, r["hash"], computed)
            elif previous is None and not partial and (r["seq"] != 1 or r["prev_hash"] != GENESIS):
                problem = "%s: the chain does not start at seq 1 with the genesis hash" % where
            elif previous is not None and r["seq"] != previous["seq"] + 1 and not partial:
                problem = "%s: sequence gap after seq %d: records removed" % (where, previous["seq"])
            elif previous is not None and r["seq"] == previous["seq"] + 1 and r["prev_hash"] != previous["hash"]:
                problem = "%s: link broken: prev_hash does not match seq %d" % (where, previous["seq"])
            if problem:
                break
            previous = r
        if problem:
            broken += 1
            print("chain %s: BROKEN: %s" % (chain_id, problem))
        else:
            print("chain %s: ok, %d records, head %s" % (chain_id, len(records), previous["hash"]))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
