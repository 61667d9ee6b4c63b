#!/usr/bin/env python3
"""Seeds the `dissect` fuzz target's corpus with real frames.

Reads every pcap and pcapng file under CORPUS (default ../shared/corpus) and
writes, in the input layout of fuzz/fuzz_targets/dissect.rs, into OUT (default
fuzz/corpus/dissect):
- each distinct frame (at most 64 inputs per file) as one input: the mode
  byte (the link type's index) then the frame's bytes; an Ethernet frame's IP
  packet also under the raw, raw IPv4/IPv6 and null link types;
- per file and link type, its first frames (up to 8 KB) as one multi-frame
  input: the mode byte, then each frame after a 2-byte big-endian length.
Files that do not parse (some are broken on purpose) give what they gave so far.

usage: bench/fuzz_seeds.py [CORPUS] [OUT]   (run from the repository root)
"""
import hashlib, os, struct, sys

LINK_TYPES = [1, 101, 113, 276, 0, 228, 229]  # index = mode byte's low 3 bits


def pcap_frames(b):
    magic = b[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        return
    if len(b) < 24:
        return
    link = struct.unpack(e + 'I', b[20:24])[0] & 0x0fffffff
    off = 24
    while off + 16 <= len(b):
        incl, orig = struct.unpack(e + 'II', b[off + 8:off + 16])
        off += 16
        if incl > len(b) - off:
            return
        yield link, b[off:off + incl]
        off += incl


def pcapng_frames(b):
    off, e, links = 0, '<', []
    while off + 12 <= len(b):
        btype = struct.unpack(e + 'I', b[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = b[off + 8:off + 12]
            e = '<' if bom == b'\x4d\x3c\x2b\x1a' else '>'
            links = []
        blen = struct.unpack(e + 'I', b[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(b):
            return
        body = b[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 2:  # IDB
            links.append(struct.unpack(e + 'H', body[:2])[0])
        elif btype == 6 and len(body) >= 20:  # EPB
            iface, _, _, cap = struct.unpack(e + 'IIII', body[:16])
            if iface < len(links) and 20 + cap <= len(body):
                yield links[iface], body[20:20 + cap]
        elif btype == 3 and len(body) >= 4 and links:  # SPB
            orig = struct.unpack(e + 'I', body[:4])[0]
            yield links[0], body[4:4 + orig]
        off += blen


def frames(path):
    with open(path, 'rb') as f:
        b = f.read()
    if b[:4] == b'\x0a\x0d\x0d\x0a':
        return pcapng_frames(b)
    return pcap_frames(b)


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else '../shared/corpus'
    out = sys.argv[2] if len(sys.argv) > 2 else 'fuzz/corpus/dissect'
    os.makedirs(out, exist_ok=True)
    written = set()

    def put(data):
        h = hashlib.sha1(data).hexdigest()
        if h not in written:
            written.add(h)
            with open(os.path.join(out, h), 'wb') as f:
                f.write(data)

    for dirpath, _, names in sorted(os.walk(corpus)):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            if not name.endswith(('.pcap', '.pcapng', '.cap')):
                continue
            singles, multi = 0, {}
            try:
                for link, data in frames(path):
                    if link not in LINK_TYPES or len(data) > 9100:
                        continue  # (huge inputs would slow every run down)
                    mode = bytes([LINK_TYPES.index(link)])
                    if singles < 64:
                        before = len(written)
                        put(mode + data)
                        # Its IP packet under the raw and null link types too.
                        if link == 1 and data[12:14] in (b'\x08\x00', b'\x86\xdd'):
                            v6 = data[12:14] == b'\x86\xdd'
                            ip = data[14:]
                            put(bytes([LINK_TYPES.index(229 if v6 else 228)]) + ip)
                            put(bytes([LINK_TYPES.index(101)]) + ip)
                            put(bytes([LINK_TYPES.index(0)]) + struct.pack('<I', 30 if v6 else 2) + ip)
                        singles += len(written) - before
                    seq = multi.setdefault(mode, bytearray(mode))
                    if len(seq) + 2 + len(data) <= 8192 and len(data) < 0x8000:
                        seq += struct.pack('>H', len(data)) + data
            except (struct.error, IndexError):
                pass
            for seq in multi.values():
                if len(seq) > 1:
                    put(bytes(seq))
    print(f'{len(written)} inputs in {out}')


if __name__ == '__main__':
    main()
