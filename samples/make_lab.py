#!/usr/bin/env python3
"""Writes samples/lab-http.pcapng: the seed lab's HTTP request with its handshake.

Frame 4 is byte for byte the lab's frame 10 (554 bytes: the GET of
http://bersia-baptiste.fr/ from 172.17.2.140:62908); the handshake before it and
the server's ACK, response and close after it are built to match (sequence
numbers, window scale 256, MSS), with correct TCP checksums except where the
lab's own frame shows the client's offloaded one. Deterministic: the same bytes
every run.  usage: make_lab.py [OUT]
"""
import struct, sys

CLI_MAC = bytes.fromhex('d89ef312d6a7')   # Dell_12:d6:a7
SRV_MAC = bytes.fromhex('b8266caf2776')   # the lab's gateway, ANOV France
CLI_IP = bytes([172, 17, 2, 140])
SRV_IP = bytes([109, 234, 162, 100])
CPORT, SPORT = 62908, 80
CISN = 0xf5dab7c2 - 1     # frame 10 carries Seq=1 (raw 0xf5dab7c2)
SISN = 0x3deaaf3a - 1     # and Ack=1 (raw 0x3deaaf3a)

REQUEST = (b'GET / HTTP/1.1\r\n'
           b'Host: bersia-baptiste.fr\r\n'
           b'Connection: keep-alive\r\n'
           b'Cache-Control: max-age=0\r\n'
           b'Upgrade-Insecure-Requests: 1\r\n'
           b'User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
           b'(KHTML, like Gecko) Chrome/94.0.4606.81 Safari/537.36 Edg/94.0.992.47\r\n'
           b'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,'
           b'image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.9\r\n'
           b'Accept-Encoding: gzip, deflate\r\n'
           b'Accept-Language: fr,fr-FR;q=0.9,en;q=0.8,en-GB;q=0.7,en-US;q=0.6\r\n'
           b'\r\n')
assert len(REQUEST) == 500, len(REQUEST)

BODY = (b'<!DOCTYPE html>\n<html lang="fr">\n<head><meta charset="utf-8">'
        b'<title>bersia-baptiste.fr</title></head>\n'
        b'<body><h1>Bienvenue</h1><p>TP 1 - Les ports logiciels</p></body>\n</html>\n')
RESPONSE = (b'HTTP/1.1 200 OK\r\n'
            b'Date: Tue, 05 Oct 2021 14:12:31 GMT\r\n'
            b'Server: Apache\r\n'
            b'Content-Type: text/html; charset=UTF-8\r\n'
            b'Content-Length: ' + str(len(BODY)).encode() + b'\r\n'
            b'Keep-Alive: timeout=5, max=100\r\n'
            b'Connection: Keep-Alive\r\n'
            b'\r\n' + BODY)


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def tcp(src, dst, sp, dp, seq, ack, flags, win, opts=b'', payload=b'', cks=None):
    off = (20 + len(opts)) // 4
    h = struct.pack('!HHIIBBHHH', sp, dp, seq & 0xffffffff, ack & 0xffffffff, off << 4, flags, win, 0, 0) + opts
    if cks is None:
        pseudo = src + dst + struct.pack('!BBH', 0, 6, len(h) + len(payload))
        cks = csum(pseudo + h + payload)
    return h[:16] + struct.pack('!H', cks) + h[18:] + payload


def ip(src, dst, ident, payload, ttl, cks=None):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0x4000, ttl, 6, 0, src, dst)
    if cks is None:
        cks = csum(h)
    return h[:10] + struct.pack('!H', cks) + h[12:] + payload


def eth(dst, src, payload):
    frame = dst + src + b'\x08\x00' + payload
    return frame + b'\0' * max(0, 60 - len(frame))


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
MSS = lambda v: struct.pack('!BBH', 2, 4, v)
WS = lambda s: struct.pack('!BBB', 3, 3, s)
NOP, SACKP = b'\x01', b'\x04\x02'

c2s = lambda ident, *a, **k: eth(SRV_MAC, CLI_MAC, ip(CLI_IP, SRV_IP, ident, tcp(CLI_IP, SRV_IP, CPORT, SPORT, *a, **k), 128, cks=0))
s2c = lambda ident, *a, **k: eth(CLI_MAC, SRV_MAC, ip(SRV_IP, CLI_IP, ident, tcp(SRV_IP, CLI_IP, SPORT, CPORT, *a, **k), 55))

half = len(RESPONSE) // 2
frames = [
    (0.000000, c2s(0xd866, CISN, 0, SYN, 64240, MSS(1460) + NOP + WS(8) + NOP + NOP + SACKP, cks=0)),
    (0.051318, s2c(0, SISN, CISN + 1, SYN | ACK, 29200, MSS(1452) + NOP + NOP + SACKP + NOP + WS(7))),
    (0.051374, c2s(0xd868, CISN + 1, SISN + 1, ACK, 1026, cks=0)),
    (0.051639, c2s(0xd869, CISN + 1, SISN + 1, PSH | ACK, 1026, payload=REQUEST, cks=0xc0fa)),
    (0.122552, s2c(0x4f1a, SISN + 1, CISN + 501, ACK, 237)),
    (0.124870, s2c(0x4f1b, SISN + 1, CISN + 501, ACK, 237, payload=RESPONSE[:half])),
    (0.124902, s2c(0x4f1c, SISN + 1 + half, CISN + 501, PSH | ACK, 237, payload=RESPONSE[half:])),
    (0.124951, c2s(0xd86a, CISN + 501, SISN + 1 + len(RESPONSE), ACK, 1026, cks=0)),
    (5.130112, s2c(0x4f1d, SISN + 1 + len(RESPONSE), CISN + 501, FIN | ACK, 237)),
    (5.130190, c2s(0xd86b, CISN + 501, SISN + 2 + len(RESPONSE), ACK, 1026, cks=0)),
]
# Frame 4 must be the lab's frame 10, whose first bytes the report prints.
LAB10_HEAD = bytes.fromhex(
    'b8266caf2776d89ef312d6a708004500021cd86940008006'
    '0000ac11028c6dea a264f5bc0050f5dab7c23deaaf3a5018'
    '0402c0fa0000474554202f20485454502f312e310d0a486f7374'.replace(' ', ''))
assert frames[3][1][:len(LAB10_HEAD)] == LAB10_HEAD and len(frames[3][1]) == 554


def block(btype, body):
    body += b'\0' * (-len(body) % 4)
    return struct.pack('<II', btype, len(body) + 12) + body + struct.pack('<I', len(body) + 12)


def opt(code, val):
    return struct.pack('<HH', code, len(val)) + val + b'\0' * (-len(val) % 4)


out = bytearray()
out += block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1)
             + opt(4, b'sonde samples/make_lab.py') + opt(0, b''))
out += block(1, struct.pack('<HHI', 1, 0, 262144) + opt(2, b'Ethernet') + opt(9, b'\x06') + opt(0, b''))
T0 = 1633443151.903890   # Tue 5 Oct 2021 14:12:31.90389 UTC, during the lab
for t, f in frames:
    us = round((T0 + t) * 1e6)
    out += block(6, struct.pack('<IIIII', 0, us >> 32, us & 0xffffffff, len(f), len(f)) + f)
open(sys.argv[1] if len(sys.argv) > 1 else 'lab-http.pcapng', 'wb').write(out)
