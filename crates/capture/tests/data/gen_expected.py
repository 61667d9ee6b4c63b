#!/usr/bin/env python3
"""Regenerates expected-frames.tsv from tshark (run from this directory).

One line per packet of every readable capture under corpus/:
path, frame number, captured length, original length, timestamp in ns since
the epoch (0 when the record has none: pcapng Simple Packet Blocks).
pcapng custom blocks, which tshark shows as frames, are left out: they are not
packets (capinfos does not count them either).
"""
import glob, subprocess

def ns(epoch):
    if not epoch:
        return 0
    secs, _, frac = epoch.partition(".")
    # tshark prints an unnormalised fraction as is (e.g. "1418145370.1000000000"),
    # so the digits after the point are a count of nanoseconds when >= 9 digits.
    frac = frac.ljust(9, "0")
    sign = -1 if secs.startswith("-") else 1
    return int(secs) * 1_000_000_000 + sign * int(frac)

rows = []
files = sorted(glob.glob("corpus/*/*.pcap") + glob.glob("corpus/*/*.pcapng"))
# Wireshark reads pcap version 2.5; libpcap (and this reader) reject it.
REJECTED = {"corpus/libpcap/pcap-invalid-version-2.pcap"}
for f in files:
    if f in REJECTED:
        continue
    out = subprocess.run(
        ["tshark", "-r", f, "-T", "fields", "-e", "frame.encap_type", "-e", "frame.cap_len",
         "-e", "frame.len", "-e", "frame.time_epoch"],
        capture_output=True, text=True)
    if out.returncode != 0 and not out.stdout:
        continue
    n = 0
    for line in out.stdout.splitlines():
        encap, cap, length, t = (line.split("\t") + ["", "", "", ""])[:4]
        if not encap:
            continue
        n += 1
        rows.append(f"{f}\t{n}\t{cap}\t{length}\t{ns(t)}")
    if n == 0:
        rows.append(f"{f}\t0\t\t\t")
with open("expected-frames.tsv", "w") as o:
    o.write("# path\tframe\tcap_len\tlen\tts_ns  (from gen_expected.py; tshark 4.0)\n")
    o.write("\n".join(rows) + "\n")
