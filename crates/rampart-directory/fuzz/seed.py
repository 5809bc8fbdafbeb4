#!/usr/bin/env python3
"""Seeds for the rampart-directory fuzz targets, from an LDIF export (the lab's directory.ldif).

    python3 seed.py OUT_DIR path/to/directory.ldif

writes OUT_DIR/security_descriptor/<sha1> (each distinct nTSecurityDescriptor, decoded) and
OUT_DIR/ldif/<sha1> (each entry as an LDIF file of its own, folded lines and base64 values kept
as exported, plus the version line and a few pairs of entries). Minimise with `cargo fuzz cmin`.
"""

import base64
import hashlib
import os
import sys

MAX_SEED = 48 * 1024


def write(out, name, data):
    if not data or len(data) > MAX_SEED:
        return
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def records(text):
    """The entries of an LDIF file, each as its raw lines (continuations kept)."""
    entry = []
    for line in text.split(b"\n"):
        if line.strip() == b"":
            if entry:
                yield entry
            entry = []
        else:
            entry.append(line)
    if entry:
        yield entry


def unfold(lines):
    out = []
    for line in lines:
        if line.startswith(b" ") and out:
            out[-1] += line[1:]
        else:
            out.append(line)
    return out


def main():
    out, paths = sys.argv[1], sys.argv[2:]
    for path in paths:
        with open(path, "rb") as f:
            text = f.read()
        entries = [e for e in records(text) if not e[0].lower().startswith(b"version:")]
        for e in entries:
            body = b"\n".join(e) + b"\n"
            write(out, "ldif", b"version: 1\n\n" + body)
            for line in unfold(e):
                key, sep, value = line.partition(b"::")
                if sep and key.strip().lower() == b"ntsecuritydescriptor":
                    write(out, "security_descriptor", base64.b64decode(value.strip()))
        for a, b in zip(entries[::2], entries[1::2]):
            write(out, "ldif", b"\n".join(a) + b"\n\n" + b"\n".join(b) + b"\n")


if __name__ == "__main__":
    main()
