#!/usr/bin/env python3
"""Writes tests/data/lab-two-connections.pcapng: the seed lab's second capture.

The lab report (shared/seed/tp1-ports-logiciels.txt, 6th step) lists the eight
TCP frames a browser sent and received while opening http://bersia-baptiste.fr/
from 172.17.2.20: two SYNs to 109.234.162.100:80 from ports 64302 and 59346,
both answered by a SYN-ACK, both acknowledged, a GET on the first connection
and the server's ACK of it. The question it asks: how many TCP connections
were established? Two.

Frame 1 here is byte for byte the report's frame 2 (its hex dump is printed in
full); the others are built to match the report's packet list (lengths, ports,
flags, relative sequence numbers, windows). The report's SYN-ACK lines omit
WS=128, but the server's later window (237 x 128 = 30336) shows it was sent,
so the SYN-ACKs carry it. Frame numbers here run 1-8 where the report's are
2, 6, 11, 12, 13, 14, 15, 25 (the other frames of that capture are not part
of these connections). Deterministic: the same bytes every run.
usage: make_lab_two_connections.py [OUT]
"""
import ast, os, struct, sys

CLI_MAC = bytes.fromhex('d89ef312e07f')   # Dell_12:e0:7f, the report's frame 2
SRV_MAC = bytes.fromhex('b8266caf2776')   # the lab's gateway, ANOV France
CLI_IP = bytes([172, 17, 2, 20])
SRV_IP = bytes([109, 234, 162, 100])
SPORT = 80
A, B = 64302, 59346          # the two client ports
ISN = {A: 0xd3560023,        # from the report's frame 2
       B: 0x5e1f3a90}
SISN = {A: 0x8a6c41f2, B: 0x1b77c0d5}

# The lab's GET request and the packet builders of samples/make_lab.py (csum,
# tcp, ip, block, opt), taken from its source without running it, so both
# captures are built the same way.
_MAKE_LAB = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'samples', 'make_lab.py')
_defs = [n for n in ast.parse(open(_MAKE_LAB).read()).body
         if (isinstance(n, ast.FunctionDef) and n.name in ('csum', 'tcp', 'ip', 'block', 'opt'))
         or (isinstance(n, ast.Assign) and [t.id for t in n.targets if isinstance(t, ast.Name)] == ['REQUEST'])]
exec(compile(ast.Module(body=_defs, type_ignores=[]), _MAKE_LAB, 'exec'))
assert len(REQUEST) == 500, len(REQUEST)


def eth(dst, src, payload, pad=True):
    frame = dst + src + b'\x08\x00' + payload
    return frame + b'\0' * (max(0, 60 - len(frame)) if pad else 0)


SYN, ACK, PSH = 0x02, 0x10, 0x08
MSS = lambda v: struct.pack('!BBH', 2, 4, v)
WS = lambda s: struct.pack('!BBB', 3, 3, s)
NOP, SACKP = b'\x01', b'\x04\x02'


def c2s(ident, port, *a, **k):
    # The client's frames, captured as it sent them: IP checksum offloaded
    # (zero), no Ethernet padding.
    return eth(SRV_MAC, CLI_MAC, ip(CLI_IP, SRV_IP, ident, tcp(CLI_IP, SRV_IP, port, SPORT, *a, **k), 128, cks=0), pad=False)


def s2c(ident, port, *a, **k):
    return eth(CLI_MAC, SRV_MAC, ip(SRV_IP, CLI_IP, ident, tcp(SRV_IP, CLI_IP, SPORT, port, *a, **k), 55))


SYN_OPTS = MSS(1460) + NOP + WS(8) + NOP + NOP + SACKP
SYNACK_OPTS = MSS(1452) + NOP + NOP + SACKP + NOP + WS(7)
frames = [
    (0.903890, c2s(0xc4e3, A, ISN[A], 0, SYN, 64240, SYN_OPTS, cks=0xbe9a)),
    (0.904422, c2s(0xc4e4, B, ISN[B], 0, SYN, 64240, SYN_OPTS)),
    (0.955708, s2c(0, A, SISN[A], ISN[A] + 1, SYN | ACK, 29200, SYNACK_OPTS)),
    (0.955764, c2s(0xc4e5, A, ISN[A] + 1, SISN[A] + 1, ACK, 1026)),
    (0.956029, c2s(0xc4e6, A, ISN[A] + 1, SISN[A] + 1, PSH | ACK, 1026, payload=REQUEST)),
    (0.957734, s2c(0, B, SISN[B], ISN[B] + 1, SYN | ACK, 29200, SYNACK_OPTS)),
    (0.957799, c2s(0xc4e7, B, ISN[B] + 1, SISN[B] + 1, ACK, 1026)),
    (1.026942, s2c(0x2b1f, A, SISN[A] + 1, ISN[A] + 501, ACK, 237)),
]
# Frame 1 is the report's frame 2, printed in full in its hex dump.
LAB2 = bytes.fromhex(
    'b8266caf2776d89ef312e07f08004500'
    '0034c4e340008006 0000ac1102146dea'
    'a264fb2e0050d3560023000000008002'
    'faf0be9a0000020405b4010303080101'
    '0402'.replace(' ', ''))
assert frames[0][1] == LAB2, frames[0][1].hex()
assert [len(f) for _, f in frames] == [66, 66, 66, 54, 554, 66, 54, 60]


out = bytearray()
out += block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1)
             + opt(4, b'sonde tests/data/make_lab_two_connections.py') + opt(0, b''))
out += block(1, struct.pack('<HHI', 1, 0, 262144) + opt(2, b'Ethernet') + opt(9, b'\x06') + opt(0, b''))
T0 = 1633443100.0   # 5 Oct 2021, the day of the lab
for t, f in frames:
    us = round((T0 + t) * 1e6)
    out += block(6, struct.pack('<IIIII', 0, us >> 32, us & 0xffffffff, len(f), len(f)) + f)
open(sys.argv[1] if len(sys.argv) > 1 else 'lab-two-connections.pcapng', 'wb').write(out)
