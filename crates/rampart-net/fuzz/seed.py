#!/usr/bin/env python3
"""Seeds the fuzz corpora from recorded captures: the application payloads of each flow, per
protocol, with the capture's own TCP segmentation and directions, in the input layout of
src/lib.rs; NTLMSSP messages and SPNEGO tokens for `ntlm`; single flows cut out as small pcaps
for `capture`.

    python3 seed.py OUT_DIR CAPTURE...

Needs tshark (and editcap for the pcapng seeds). Write to a scratch directory, then minimise
into corpus/ with `cargo fuzz cmin` (see docs/fuzzing.md).
"""

import hashlib
import os
import subprocess
import sys
from collections import defaultdict

# Server ports per target; dcerpc also takes TCP flows tshark decodes as DCE/RPC elsewhere.
PORTS = {"kerberos": 88, "ldap": 389, "dns": 53, "smb2": 445, "dcerpc": 135}
UDP = {"kerberos", "ldap", "dns"}
# A seed's bytes at most: libFuzzer's -max_len defaults to the longest seed, and long inputs
# slow every execution.
MAX_SEED = 48 * 1024
MAX_SEEDS_PER_FILE = 40
MAX_CAPTURE_SEED = 24 * 1024


def tshark(path, *args):
    out = subprocess.run(
        ["tshark", "-r", path, *args], capture_output=True, text=True, check=False
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def write(out, target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def encode(udp, chunks):
    """The layout `rampart_net_fuzz::split` reads: options byte, then ctrl/len/bytes chunks."""
    out = bytearray([1 if udp else 0])
    for to_client, payload in chunks:
        for i in range(0, len(payload), 0xFFFF):
            piece = payload[i : i + 0xFFFF]
            out.append(1 if to_client else 0)
            out += len(piece).to_bytes(2, "little")
            out += piece
    return bytes(out)


def flows(path, proto):
    """{(stream, server port): [(to_client, payload)]} of `proto` ("tcp"/"udp")."""
    rows = tshark(
        path,
        "-T", "fields",
        "-e", f"{proto}.stream",
        "-e", f"{proto}.srcport",
        "-e", f"{proto}.dstport",
        "-e", "tcp.flags.syn" if proto == "tcp" else "udp.length",
        "-e", "tcp.flags.ack" if proto == "tcp" else "udp.length",
        "-e", f"{proto}.payload",
        "-Y", proto,
    )
    server = {}
    out = defaultdict(list)
    for r in rows:
        if len(r) < 6:
            continue
        stream, sport, dport, a, b, payload = r[:6]
        sport, dport = int(sport), int(dport)
        if stream not in server:
            # A SYN goes to the server; a SYN-ACK comes from it; otherwise the lower port.
            if proto == "tcp" and a == "1" and b == "0":
                server[stream] = dport
            elif proto == "tcp" and a == "1":
                server[stream] = sport
            else:
                server[stream] = min(sport, dport)
        if payload:
            out[(stream, server[stream])].append(
                (sport == server[stream], bytes.fromhex(payload))
            )
    return out


def dcerpc_streams(path):
    rows = tshark(path, "-Y", "dcerpc && !smb2 && !nbss", "-T", "fields", "-e", "tcp.stream")
    return {r[0] for r in rows if r and r[0]}


def truncate(chunks):
    kept, size = [], 0
    for c in chunks:
        if size + len(c[1]) > MAX_SEED:
            break
        kept.append(c)
        size += len(c[1])
    return kept


def gss_tokens(payload):
    """NTLMSSP messages from their signature, and SPNEGO/GSS-API tokens from their tag."""
    out = []
    at = payload.find(b"NTLMSSP\0")
    while at >= 0:
        out.append(payload[at : at + 2048])
        at = payload.find(b"NTLMSSP\0", at + 1)
    for oid in (b"\x06\x06\x2b\x06\x01\x05\x05\x02", b"\xa1\x82", b"\xa1\x81"):
        at = payload.find(oid)
        if at < 0:
            continue
        start = max(payload.rfind(b"\x60", max(0, at - 8), at), 0) if oid[0] == 6 else at
        out.append(payload[start : start + 4096])
    return out


def small_pcaps(path, out, tcp, rpc):
    """Each dissected flow of `path` as a pcap (and one as pcapng) no larger than a seed."""
    streams = {}
    for (stream, port), chunks in tcp.items():
        if port in PORTS.values() or port == 3268 or stream in rpc:
            streams[stream] = True
    tmp = os.path.join(out, ".tmp.pcap")
    for n, stream in enumerate(sorted(streams, key=int)[:MAX_SEEDS_PER_FILE]):
        subprocess.run(
            ["tshark", "-r", path, "-Y", f"tcp.stream == {stream}", "-w", tmp],
            capture_output=True,
            check=False,
        )
        if not os.path.exists(tmp):
            continue
        with open(tmp, "rb") as f:
            data = f.read()
        if len(data) <= MAX_CAPTURE_SEED:
            write(out, "capture", data)
            if n == 0:
                ng = tmp + "ng"
                subprocess.run(["editcap", "-F", "pcapng", tmp, ng], capture_output=True, check=False)
                if os.path.exists(ng):
                    with open(ng, "rb") as f:
                        ngdata = f.read()
                    if len(ngdata) <= MAX_CAPTURE_SEED:
                        write(out, "capture", ngdata)
                    os.remove(ng)
        os.remove(tmp)
    udp_tmp = os.path.join(out, ".udp.pcap")
    subprocess.run(
        ["tshark", "-r", path, "-Y", "udp.port == 53 || udp.port == 88 || udp.port == 389",
         "-c", "64", "-w", udp_tmp],
        capture_output=True,
        check=False,
    )
    if os.path.exists(udp_tmp):
        with open(udp_tmp, "rb") as f:
            data = f.read()
        if 24 < len(data) <= MAX_CAPTURE_SEED:
            write(out, "capture", data)
        os.remove(udp_tmp)


def synthetic(out):
    """Seeds for protocols the lab does not record (WinRM over HTTP, DCOM activation): written
    from the protocol documents, not taken from any capture."""
    ps = (b"POST /wsman?PSVersion=5.1.18362.1110 HTTP/1.1\r\nConnection: Keep-Alive\r\n"
          b"Content-Type: multipart/encrypted;protocol=\"application/HTTP-Kerberos-session-"
          b"encrypted\";boundary=\"Encrypted Boundary\"\r\nContent-Length: 10\r\n\r\n0123456789")
    ok = b"HTTP/1.1 200 \r\nContent-Length: 4\r\n\r\nabcd"
    denied = b"HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n"
    body = (b"<s:Envelope><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/"
            b"Create</a:Action><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/"
            b"shell/cmd</w:ResourceURI></s:Header></s:Envelope>")
    chunked = (b"POST /wsman HTTP/1.1\r\nAuthorization: Basic dXNlcjpwYXNz\r\nContent-Type: "
               b"application/soap+xml\r\nTransfer-Encoding: chunked\r\n\r\n"
               + format(len(body), "x").encode() + b"\r\n" + body + b"\r\n0\r\n\r\n")
    # An NTLMSSP NEGOTIATE in an Authorization header.
    negotiate = (b"POST /wsman HTTP/1.1\r\nAuthorization: Negotiate TlRMTVNTUAABAAAAB4IIogAAAAAAAAAA"
                 b"AAAAAAAAAAAKAGFKAAAADw==\r\nContent-Length: 0\r\n\r\n")
    for chunks in ([(False, ps), (True, ok), (False, ps), (True, ok)],
                   [(False, ps[:30]), (False, ps[30:]), (True, denied)],
                   [(False, chunked[:50]), (False, chunked[50:]), (True, ok)],
                   [(False, negotiate), (True, denied)]):
        write(out, "http", encode(False, chunks))
    # RemoteGetClassObject stub: ORPCTHIS, referent, counts, OBJREF with the properties blob
    # naming Excel.Application in InstantiationInfoData (MS-DCOM 2.2.22).
    le = lambda n: n.to_bytes(4, "little")
    guid = lambda d1, tail=b"\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46": le(d1) + tail
    props = [(guid(0x1B9), 104), (guid(0x1AB), 88)]
    hsize = 68 + 16 * len(props) + 4 + 4 * len(props)
    s = bytes([5, 0, 7, 0, 1, 0, 0, 0, 0, 0, 0, 0]) + b"\x11" * 16 + le(0) + le(0x20000) + le(744) * 2
    s += b"MEOW" + le(4) + b"\x22" * 16 + b"\x33" * 16 + le(0) + le(704) + le(688) + le(0)
    s += bytes([1, 0x10, 8, 0, 0xCC, 0xCC, 0xCC, 0xCC]) + le(hsize - 16) + le(0) + le(688) + le(hsize)
    s += le(0) + le(2) + le(len(props)) + b"\x00" * 16 + bytes([0, 0, 2, 0, 4, 0, 2, 0, 0, 0, 0, 0])
    s += le(len(props)) + b"".join(g for g, _ in props) + le(len(props)) + b"".join(le(n) for _, n in props)
    excel = guid(0x24500)
    for g, n in props:
        p = bytes([1, 0x10, 8, 0, 0xCC, 0xCC, 0xCC, 0xCC]) + b"\x00" * 8
        if g == guid(0x1AB):
            p += excel
        s += p.ljust(n, b"\x00")
    write(out, "dcom", b"\x00" + s)
    write(out, "dcom", b"\x02" + b"\x00" * 32 + excel)


def main():
    out, captures = sys.argv[1], sys.argv[2:]
    synthetic(out)
    for path in captures:
        tcp = flows(path, "tcp")
        udp = flows(path, "udp")
        rpc = dcerpc_streams(path)
        count = defaultdict(int)
        for (stream, port), chunks in tcp.items():
            targets = [t for t, p in PORTS.items() if p == port or (t == "ldap" and port == 3268)]
            if stream in rpc:
                targets.append("dcerpc")
            for t in set(targets):
                if count[t] < MAX_SEEDS_PER_FILE:
                    count[t] += 1
                    write(out, t, encode(False, truncate(chunks)))
            for _, payload in chunks:
                for token in gss_tokens(payload):
                    if count["ntlm"] < 4 * MAX_SEEDS_PER_FILE:
                        count["ntlm"] += 1
                        write(out, "ntlm", token)
        for (stream, port), chunks in udp.items():
            for t, p in PORTS.items():
                if p == port and t in UDP and count[t + "/udp"] < MAX_SEEDS_PER_FILE:
                    count[t + "/udp"] += 1
                    write(out, t, encode(True, truncate(chunks)))
        small_pcaps(path, out, tcp, rpc)
        print(path, dict(count), file=sys.stderr)


if __name__ == "__main__":
    main()
