#!/usr/bin/env python3
"""A minimal wstunnel.v2 agent, written from protocol/PROTOCOL.md alone (standard library only).

It exists to prove that the spec is enough to interoperate with `wstunnel srv`; it calls no local
service but answers every HTTP stream itself:

  GET /big?n=N[&unframed=1]  N bytes where byte i is i % 251 (with Content-Length unless unframed)
  anything else              a JSON echo: method, target, request headers, body length and SHA-256

Usage: WSTUNNEL_TOKEN=... python3 v2_agent.py ws://127.0.0.1:PORT[/base-path] [options]
Events go to stdout as JSON lines (hello, request, reset, stream_error, goaway, closed, error); the token is
never printed. SIGTERM starts a graceful shutdown (GOAWAY, then close 1001 once streams are done).
Exit status: 0 after a normal close (1000/1001), 1 after a connection error, 2 if the handshake fails.
"""

import argparse
import base64
import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys
import time
from urllib.parse import parse_qs, urlsplit

# --- §3 frame types, §2 flags, §3.5 error codes, §3.1 settings, §7 close codes -------------------
HELLO, OPEN, REPLY, DATA, WINDOW_UPDATE, RESET, GOAWAY = range(7)
TYPE_NAMES = ["HELLO", "OPEN", "REPLY", "DATA", "WINDOW_UPDATE", "RESET", "GOAWAY"]
END_STREAM, BODY = 0x1, 0x2
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR = 0x0, 0x1, 0x2, 0x3
STREAM_CLOSED, FRAME_TOO_LARGE, REFUSED_STREAM, CANCEL, GOING_AWAY = 0x5, 0x6, 0x7, 0x8, 0x11
INITIAL_WINDOW, MAX_CONCURRENT_STREAMS, MAX_FRAME_PAYLOAD, MAX_HEAD_SIZE, REPLY_BODY = 1, 2, 3, 4, 5
DEFAULTS = {1: 262144, 2: 256, 3: 65536, 4: 65536, 5: 0}
RANGES = {1: (1, 2**31 - 1), 2: (1, 2**31 - 1), 3: (1024, 16 << 20), 4: (1024, 16 << 20), 5: (0, 1)}
CLOSE_CODES = {NO_ERROR: 1000, CANCEL: 1000, GOING_AWAY: 1001, PROTOCOL_ERROR: 1002,
               FLOW_CONTROL_ERROR: 1002, STREAM_CLOSED: 1002, FRAME_TOO_LARGE: 1009, 0x12: 1008}
MAX_WINDOW = 2**31 - 1
CONTROL_MAX = 4096          # §3: HELLO, WINDOW_UPDATE, RESET, GOAWAY payloads
SOFT_CAP = 512 * 1024       # §3.6: stop producing DATA while this much is queued on the socket
PATTERN = bytes(range(251))  # /big: byte i is i % 251


def emit(event, **fields):
    print(json.dumps(dict(event=event, **fields)), flush=True)


class ConnError(Exception):
    """A connection error (§7): GOAWAY, then close with the mapped code."""

    def __init__(self, code, reason, close_code=None):
        super().__init__(reason)
        self.code, self.close_code = code, close_code or CLOSE_CODES.get(code, 1011)


# --- RFC 6455 client side: handshake, masked frames, message assembly ----------------------------

def mask(data, key):
    """XOR with the repeating 4-byte key (RFC 6455 §5.3), done on big integers for speed."""
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def handshake(url, token, password, timeout):
    """§1: GET <base-path>/_tunnel, token in Origin, offer wstunnel.v2; returns (socket, leftover)."""
    u = urlsplit(url)
    if u.scheme != "ws":
        sys.exit("only ws:// is supported")
    sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {u.path.rstrip('/')}/_tunnel HTTP/1.1", f"Host: {u.netloc}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
             "Sec-WebSocket-Protocol: wstunnel.v2", f"Origin: {token}", "X-Client-Version: python-interop/1"]
    if password:
        lines.append("Authorization: Basic " + base64.b64encode(f"{token}:{password}".encode()).decode())
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("iso-8859-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(status_line.split(" ")[1]) if " " in status_line else 0
    if status != 101:
        emit("handshake_failed", status=status, body=rest.decode("utf-8", "replace")[:200])
        sys.exit(2)
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    if headers.get("sec-websocket-accept") != accept.decode():
        sys.exit("bad Sec-WebSocket-Accept")
    if headers.get("sec-websocket-protocol") != "wstunnel.v2":  # §1: legacy server, we fail
        emit("handshake_failed", status=101, body="no wstunnel.v2 subprotocol selected")
        sys.exit(2)
    if "sec-websocket-extensions" in headers:  # §1: no extension is negotiated
        sys.exit("unexpected WebSocket extension")
    return sock, rest


class WebSocket:
    def __init__(self, sock, leftover, max_message, fragment):
        self.sock, self.inbuf, self.outbuf = sock, bytearray(leftover), bytearray()
        self.max_message, self.fragment = max_message, fragment
        self.fragments = None  # bytearray of a data message being assembled, else None
        self.close_sent = False

    def send_binary(self, message):
        """One tunnel frame = one binary message (§1), cut into fragments of --fragment bytes if set,
        with a ping between fragments (control frames may come between them, RFC 6455 §5.4)."""
        size = self.fragment or len(message) or 1
        parts = [message[i:i + size] for i in range(0, len(message), size)] or [b""]
        for i, part in enumerate(parts):
            if i > 0:
                self.send(0x9, b"between fragments")
            self.send(0x2 if i == 0 else 0x0, part, fin=i == len(parts) - 1)

    def send(self, opcode, payload=b"", fin=True):
        if self.close_sent:
            return  # nothing may follow our close frame (RFC 6455 §5.5.1)
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        key = os.urandom(4)  # every client frame is masked (RFC 6455 §5.1)
        self.outbuf += head + key + mask(payload, key)

    def send_close(self, code, reason=""):
        if not self.close_sent:
            self.send(0x8, struct.pack(">H", code) + reason.encode()[:120])
            self.close_sent = True

    def messages(self):
        """Yields ("binary"|"ping"|"pong"|"close", payload) for every complete unit in inbuf."""
        while True:
            b = self.inbuf
            if len(b) < 2:
                return
            fin, opcode, masked, n, p = b[0] & 0x80, b[0] & 0x0F, b[1] & 0x80, b[1] & 0x7F, 2
            if b[0] & 0x70:
                raise ConnError(PROTOCOL_ERROR, "RSV bits set (no extension was negotiated)")
            if n == 126:
                if len(b) < 4:
                    return
                n, p = struct.unpack_from(">H", b, 2)[0], 4
            elif n == 127:
                if len(b) < 10:
                    return
                n, p = struct.unpack_from(">Q", b, 2)[0], 10
            if masked:
                raise ConnError(PROTOCOL_ERROR, "server frames must not be masked")
            if n > self.max_message:  # §8
                raise ConnError(FRAME_TOO_LARGE, "WebSocket frame of %d bytes" % n)
            if len(b) < p + n:
                return
            payload = bytes(b[p:p + n])
            del b[:p + n]
            if opcode >= 0x8:  # control frames may come between fragments
                yield {0x8: "close", 0x9: "ping", 0xA: "pong"}.get(opcode, "bad"), payload
                continue
            if opcode == 0x1:
                raise ConnError(PROTOCOL_ERROR, "text message", 1003)  # §1, §7
            if opcode == 0x2:
                if self.fragments is not None:
                    raise ConnError(PROTOCOL_ERROR, "new message inside a fragmented one")
                self.fragments = bytearray()
            elif opcode != 0x0 or self.fragments is None:
                raise ConnError(PROTOCOL_ERROR, "bad WebSocket opcode %d" % opcode)
            self.fragments += payload  # §1: fragments are joined before decoding
            if len(self.fragments) > self.max_message:
                raise ConnError(FRAME_TOO_LARGE, "message too large")
            if fin:
                message, self.fragments = bytes(self.fragments), None
                yield "binary", message


# --- §2 payload encoding and decoding ------------------------------------------------------------

def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">BBI", ftype, flags, sid) + payload


def enc_string(s):
    b = s.encode("utf-8")
    return struct.pack(">H", len(b)) + b


def enc_headers(headers):
    return struct.pack(">H", len(headers)) + b"".join(enc_string(k) + enc_string(v) for k, v in headers)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ConnError(PROTOCOL_ERROR, "field runs past the end of the payload")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def string(self):
        return self.take(self.u16()).decode("utf-8", "replace")  # §2: invalid UTF-8 -> U+FFFD

    def headers(self):
        count = self.u16()
        if count * 4 > len(self.data) - self.pos:
            raise ConnError(PROTOCOL_ERROR, "header count larger than the payload can hold")
        out = []
        for _ in range(count):
            name, value = self.string(), self.string()
            if not name:
                raise ConnError(PROTOCOL_ERROR, "empty header name")
            out.append((name, value))
        return out

    def rest(self):
        return self.take(len(self.data) - self.pos)

    def end(self):
        if self.pos != len(self.data):
            raise ConnError(PROTOCOL_ERROR, "bytes left over after the last field")


# --- streams --------------------------------------------------------------------------------------

class Stream:
    """One HTTP stream opened by the server (§3.2); its response is produced here."""

    def __init__(self, sid, method, target, headers, recv_window, send_window):
        self.sid, self.method, self.target, self.headers = sid, method, target, headers
        self.recv_window = recv_window  # §3.6: bytes the server may still send us
        self.unacked = 0                # consumed, not yet returned with WINDOW_UPDATE
        self.send_window = send_window  # bytes of DATA we may still send
        self.req_ended = self.resp_ended = False
        self.req_len, self.sha = 0, hashlib.sha256()
        self.body = None                # response: [offset, total, bytes-or-None(PATTERN)]


def header(headers, name):
    return next((v for k, v in headers if k.lower() == name), None)


class Agent:
    def __init__(self, ws, settings):
        self.ws, self.mine = ws, settings       # our HELLO: what we are willing to receive
        self.peer = None                        # the server's settings, after its HELLO
        self.streams = {}
        self.last_open = 0                      # highest stream id the server opened
        self.goaway_received = self.goaway_sent = False

    def send(self, ftype, flags, sid, payload=b""):
        self.ws.send_binary(frame(ftype, flags, sid, payload))

    def send_hello(self):  # §3.1: first frame, settings in id order
        self.send(HELLO, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in sorted(self.mine.items())))

    def reset(self, sid, code, reason):
        emit("stream_error", stream=sid, error=code, reason=reason)  # a RESET we send
        self.send(RESET, 0, sid, struct.pack(">I", code) + reason.encode()[:1024])
        self.streams.pop(sid, None)  # §3.5: after sending RESET, further frames are ignored

    def goaway(self, code, reason):
        if not self.goaway_sent:
            self.send(GOAWAY, 0, 0, struct.pack(">II", self.last_open, code) + reason.encode()[:1024])
            self.goaway_sent = True

    # -- receiving: §2 check order: length, type, reserved bit, stream 0, flags, size, structure
    def on_message(self, m):
        if len(m) < 6:
            raise ConnError(PROTOCOL_ERROR, "message shorter than 6 bytes")
        ftype, flags, sid = struct.unpack_from(">BBI", m)
        payload = m[6:]
        if ftype > GOAWAY:
            raise ConnError(PROTOCOL_ERROR, "unknown frame type %d" % ftype)
        if sid & 0x80000000:
            raise ConnError(PROTOCOL_ERROR, "reserved stream-id bit set")
        if (sid == 0) != (ftype in (HELLO, GOAWAY)):
            raise ConnError(PROTOCOL_ERROR, "%s on stream %d" % (TYPE_NAMES[ftype], sid))
        allowed = {OPEN: END_STREAM, DATA: END_STREAM,
                   REPLY: END_STREAM | (BODY if self.mine.get(REPLY_BODY) else 0)}.get(ftype, 0)
        if flags & ~allowed:
            raise ConnError(PROTOCOL_ERROR, "flags 0x%x on %s" % (flags, TYPE_NAMES[ftype]))
        limit = {DATA: self.mine[MAX_FRAME_PAYLOAD], OPEN: self.mine[MAX_HEAD_SIZE],
                 REPLY: self.mine[MAX_HEAD_SIZE]}.get(ftype, CONTROL_MAX)
        if len(payload) > limit:
            raise ConnError(FRAME_TOO_LARGE, "%s payload of %d bytes" % (TYPE_NAMES[ftype], len(payload)))
        if self.peer is None and ftype != HELLO:
            raise ConnError(PROTOCOL_ERROR, "first frame is not HELLO")
        getattr(self, "on_" + TYPE_NAMES[ftype].lower())(flags, sid, Reader(payload))

    def on_hello(self, flags, sid, r):
        if self.peer is not None:
            raise ConnError(PROTOCOL_ERROR, "second HELLO")
        if len(r.data) % 6:
            raise ConnError(PROTOCOL_ERROR, "HELLO is not a whole number of settings")
        self.peer = dict(DEFAULTS)
        while r.pos < len(r.data):
            sid_, value = r.u16(), r.u32()
            if sid_ in RANGES:  # unknown ids are ignored, unchecked
                lo, hi = RANGES[sid_]
                if not lo <= value <= hi:
                    raise ConnError(PROTOCOL_ERROR, "setting %d = %d out of range" % (sid_, value))
                self.peer[sid_] = value
        emit("hello", settings={str(k): v for k, v in sorted(self.peer.items())})

    def on_open(self, flags, sid, r):
        # §3.2: odd ids from the server, strictly increasing; a bad id is a connection error
        if sid % 2 == 0 or sid <= self.last_open:
            raise ConnError(PROTOCOL_ERROR, "OPEN with stream id %d after %d" % (sid, self.last_open))
        self.last_open = sid  # the id counts as used whatever happens next
        kind = r.u8()
        if kind > 2:  # unknown kind: the rest is not interpreted
            return self.reset(sid, PROTOCOL_ERROR, "unknown kind %d" % kind)
        method, target, authority, scheme, headers = r.string(), r.string(), r.string(), r.string(), r.headers()
        r.end()
        if self.goaway_received:
            raise ConnError(PROTOCOL_ERROR, "OPEN after GOAWAY")
        if self.goaway_sent:
            return self.reset(sid, REFUSED_STREAM, "agent going away")
        if kind != 0:  # WEBSOCKET and TCP are not supported by this agent
            return self.reset(sid, REFUSED_STREAM, "only HTTP streams")
        if not method:
            return self.reset(sid, PROTOCOL_ERROR, "empty method")
        if len(self.streams) >= self.mine[MAX_CONCURRENT_STREAMS]:
            return self.reset(sid, REFUSED_STREAM, "too many streams")
        s = Stream(sid, method, target, headers, self.mine[INITIAL_WINDOW], self.peer[INITIAL_WINDOW])
        s.authority, s.scheme = authority, scheme
        self.streams[sid] = s
        if flags & END_STREAM:
            self.request_done(s)

    def on_data(self, flags, sid, r):
        s, data = self.streams.get(sid), r.rest()
        if s is None:
            return  # §3.4: unknown or forgotten stream, no window consumed
        if s.req_ended:
            return self.reset(sid, STREAM_CLOSED, "DATA after END_STREAM")
        if len(data) > s.recv_window:
            raise ConnError(FLOW_CONTROL_ERROR, "DATA of %d bytes, window %d" % (len(data), s.recv_window))
        s.recv_window -= len(data)
        s.sha.update(data)  # "passing the bytes on": consumed at once
        s.req_len += len(data)
        s.unacked += len(data)
        if flags & END_STREAM:
            self.request_done(s)
        elif s.unacked >= self.mine[INITIAL_WINDOW] // 2:  # §3.6: batch credits
            self.send(WINDOW_UPDATE, 0, sid, struct.pack(">I", s.unacked))
            s.recv_window += s.unacked
            s.unacked = 0

    def on_window_update(self, flags, sid, r):
        inc = r.u32()
        r.end()
        if inc == 0 or inc > MAX_WINDOW:
            raise ConnError(PROTOCOL_ERROR, "WINDOW_UPDATE increment %d" % inc)
        s = self.streams.get(sid)
        if s is None or s.resp_ended:
            return  # §3.6: unknown or finished stream
        if s.send_window + inc > MAX_WINDOW:
            raise ConnError(FLOW_CONTROL_ERROR, "window above 2^31-1")
        s.send_window += inc

    def on_reset(self, flags, sid, r):
        code, reason = r.u32(), r.rest().decode("utf-8", "replace")
        s = self.streams.pop(sid, None)
        if s is not None:  # §3.5: RESET of an unknown stream is ignored
            emit("reset", stream=sid, target=s.target, error=code, reason=reason,
                 sent=s.body[0] if s.body else 0, received=s.req_len)

    def on_goaway(self, flags, sid, r):
        last, code, reason = r.u32(), r.u32(), r.rest().decode("utf-8", "replace")
        if last & 0x80000000:
            raise ConnError(PROTOCOL_ERROR, "GOAWAY last-stream-id top bit")
        self.goaway_received = True  # §3.7: the server opens no more; we finish ours, it closes
        emit("goaway", last_stream_id=last, error=code, reason=reason, open_streams=len(self.streams))

    def on_reply(self, flags, sid, r):
        raise ConnError(PROTOCOL_ERROR, "REPLY on stream %d: this agent opens no streams" % sid)

    # -- answering
    def request_done(self, s):
        s.req_ended = True
        cl = header(s.headers, "content-length")
        digest = s.sha.hexdigest()
        emit("request", stream=s.sid, method=s.method, target=s.target, length=s.req_len, sha256=digest,
             content_length_ok=cl is None or int(cl) == s.req_len, open_streams=len(self.streams))
        path, _, query = s.target.partition("?")
        q = parse_qs(query)
        if path == "/big":
            total = int(q["n"][0])
            head = [("Content-Type", "application/octet-stream")]
            if "unframed" not in q:
                head.append(("Content-Length", str(total)))
            s.body = [0, total, None]
        else:
            echo = json.dumps({"method": s.method, "target": s.target, "authority": s.authority,
                               "scheme": s.scheme, "headers": s.headers, "length": s.req_len,
                               "sha256": digest}).encode()
            head = [("Content-Type", "application/json"), ("Content-Length", str(len(echo)))]
            s.body = [0, len(echo), echo]
        reply = struct.pack(">H", 200) + enc_string("OK") + enc_headers(head)
        small = s.method != "HEAD" and s.body[2] is not None and s.body[1] <= s.send_window
        if small and self.peer[REPLY_BODY] and len(reply) + s.body[1] <= self.peer[MAX_HEAD_SIZE]:
            # §3.3: head and the whole body in one REPLY, counted against the send window
            self.send(REPLY, BODY | END_STREAM, s.sid, reply + s.body[2])
            s.send_window -= s.body[1]
            s.body[0] = s.body[1]
            self.response_done(s)
        elif s.body[1] == 0 or s.method == "HEAD":  # HEAD: the GET's head, no body
            self.send(REPLY, END_STREAM, s.sid, reply)
            self.response_done(s)
        else:
            self.send(REPLY, 0, s.sid, reply)

    def response_done(self, s):
        s.resp_ended = True
        if s.req_ended:  # §4: both directions ended, the stream is closed
            self.streams.pop(s.sid, None)

    def pump(self):
        """Sends DATA round-robin while the socket queue is under SOFT_CAP, never beyond a window."""
        progress = True
        while progress and len(self.ws.outbuf) < SOFT_CAP:
            progress = False
            for s in list(self.streams.values()):
                if s.body is None or s.resp_ended or s.send_window == 0:
                    continue
                off, total, data = s.body
                n = min(total - off, s.send_window, self.peer[MAX_FRAME_PAYLOAD])
                if data is not None:
                    chunk = data[off:off + n]
                else:
                    chunk = (PATTERN[off % 251:251] + PATTERN * (n // 251 + 1))[:n]
                s.body[0] += n
                s.send_window -= n
                last = s.body[0] == total
                self.send(DATA, END_STREAM if last else 0, s.sid, chunk)
                if last:
                    self.response_done(s)
                progress = True


# --- the event loop -------------------------------------------------------------------------------

def main():
    if sys.version_info < (3, 9):
        sys.exit("v2_agent.py needs Python 3.9 or later, this is " + sys.version.split()[0])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url", help="ws://host:port[/base-path] of wstunnel srv")
    p.add_argument("--window", type=int, default=65536, help="our INITIAL_WINDOW")
    p.add_argument("--max-streams", type=int, default=64, help="our MAX_CONCURRENT_STREAMS")
    p.add_argument("--max-frame", type=int, default=16384, help="our MAX_FRAME_PAYLOAD")
    p.add_argument("--fragment", type=int, default=0, help="send messages in WebSocket fragments of this size")
    p.add_argument("--ping-interval", type=float, default=5.0)
    p.add_argument("--timeout", type=float, default=30.0, help="close as dead after this much silence")
    args = p.parse_args()
    token = os.environ.get("WSTUNNEL_TOKEN", "")
    password = os.environ.get("WSTUNNEL_PASSWORD")
    settings = {INITIAL_WINDOW: args.window, MAX_CONCURRENT_STREAMS: args.max_streams,
                MAX_FRAME_PAYLOAD: args.max_frame, MAX_HEAD_SIZE: 65536}
    sock, leftover = handshake(args.url, token, password, 10)
    sock.setblocking(False)
    ws = WebSocket(sock, leftover, 6 + max(args.max_frame, 65536, CONTROL_MAX), args.fragment)  # §8
    agent = Agent(ws, settings)
    agent.send_hello()  # §3.1: at once, without waiting for the server's
    ws.send(0x9, b"rtt")  # §6: a first ping as soon as the socket is open
    term = []
    signal.signal(signal.SIGTERM, lambda *_: term.append(1))
    last_in = last_out = time.monotonic()
    close_code, close_deadline = None, None
    status = 1
    try:
        while not (close_code is not None and not ws.outbuf):  # a received close, answered and flushed
            now = time.monotonic()
            if term and not agent.goaway_sent:  # §3.7: graceful shutdown of our side
                agent.goaway(NO_ERROR, "agent shutting down")
            if agent.goaway_sent and not agent.streams and not ws.close_sent:
                ws.send_close(1001, "agent shutting down")
                close_deadline = now + 5
            if close_deadline and now > close_deadline:
                break
            if now - last_in > args.timeout:  # §6: dead peer
                raise ConnError(GOING_AWAY, "no traffic for %.0f s" % args.timeout)
            if now - last_out > args.ping_interval and not ws.close_sent:
                ws.send(0x9, b"keep-alive")
            if agent.peer is not None and not ws.close_sent:
                agent.pump()
            readable, writable, _ = select.select([sock], [sock] if ws.outbuf else [], [], 0.2)
            if writable:
                try:
                    n = sock.send(ws.outbuf)
                    del ws.outbuf[:n]
                    last_out = time.monotonic()
                except BlockingIOError:
                    pass
            if not readable:
                continue
            try:
                data = sock.recv(256 * 1024)
            except BlockingIOError:
                continue
            if not data:
                emit("closed", code=None, reason="TCP connection closed without a close frame")
                break
            last_in = time.monotonic()
            ws.inbuf += data
            for kind, payload in ws.messages():
                if kind == "binary":
                    agent.on_message(payload)
                elif kind == "ping":
                    ws.send(0xA, payload)
                elif kind == "close":
                    close_code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                    emit("closed", code=close_code, reason=payload[2:].decode("utf-8", "replace"),
                         open_streams=len(agent.streams))
                    ws.send_close(close_code if close_code in (1000, 1001) else 1000)
                    status = 0 if close_code in (1000, 1001) else 1
                    close_deadline = time.monotonic() + 2  # flush our close, then leave
                elif kind == "bad":
                    raise ConnError(PROTOCOL_ERROR, "unknown WebSocket control opcode")
    except ConnError as e:
        emit("error", code=e.code, reason=str(e))
        agent.goaway(e.code, str(e))  # §7: GOAWAY best effort, then the mapped close code
        ws.send_close(e.close_code, str(e)[:100])
        sock.setblocking(True)
        sock.settimeout(2)
        try:
            sock.sendall(ws.outbuf)
        except OSError:
            pass
        status = 1
    finally:
        sock.close()
    sys.exit(status)


if __name__ == "__main__":
    main()
