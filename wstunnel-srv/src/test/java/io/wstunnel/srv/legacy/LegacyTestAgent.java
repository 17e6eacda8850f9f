package io.wstunnel.srv.legacy;

import io.wstunnel.srv.MessageSocket;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A legacy (Go-style) agent written from LEGACY.md alone, with a hand-written minimal parser (it
 * does not use the production codec): Origin carries the token, no subprotocol, pings every
 * second, one binary message per request and per response.
 */
final class LegacyTestAgent implements AutoCloseable {
    /** A request message as this agent parsed it. */
    record Request(int id, String idText, String method, String target, String version, List<String[]> headers,
                   byte[] body, byte[] raw) {
        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        List<String> headerLines() {
            List<String> out = new ArrayList<>();
            for (String[] h : headers) {
                out.add(h[0] + ": " + h[1]);
            }
            return out;
        }
    }

    /** Request messages in arrival order; one this agent cannot parse has method "BROKEN". */
    final BlockingQueue<Request> requests;
    /** The close code the server sent (1005 when it sent none), or -1 when the socket failed. */
    final CompletableFuture<Integer> closed;
    private final MessageSocket<Request> socket;
    private final ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "legacy-test-agent-ping");
        t.setDaemon(true);
        return t;
    });

    private LegacyTestAgent(MessageSocket<Request> socket) {
        this.socket = socket;
        this.requests = socket.messages;
        this.closed = socket.closed;
    }

    static LegacyTestAgent connect(int port, String token) throws Exception {
        return connect(port, token, true);
    }

    static LegacyTestAgent connect(int port, String token, boolean pings) throws Exception {
        return connect(MessageSocket.tunnel(port), token, pings);
    }

    /** @param tunnel the server's tunnel endpoint, e.g. ws://127.0.0.1:port/base/_tunnel */
    static LegacyTestAgent connect(java.net.URI tunnel, String token, boolean pings) throws Exception {
        MessageSocket<Request> socket = MessageSocket.open(tunnel, null, token,
                Map.of("X-Client-Version", "legacy-test-agent"), null, LegacyTestAgent::parseOrBroken);
        String sub = socket.subprotocol();
        if (sub != null && !sub.isEmpty()) {
            socket.abort();
            throw new AssertionError("server selected a subprotocol for a legacy agent: " + sub);
        }
        LegacyTestAgent a = new LegacyTestAgent(socket);
        if (pings) {
            a.pinger.scheduleAtFixedRate(a::ping, 0, 1, TimeUnit.SECONDS);
        }
        return a;
    }

    /** Bytes received so far of a message whose last fragment has not arrived yet. */
    long partialBytes() {
        return socket.partialBytes();
    }

    int pongCount() {
        return socket.pongs();
    }

    /** Takes the agent's lock, as sends do: a ping never splits a message that send() is writing. */
    private synchronized void ping() {
        try {
            socket.sendPing();
        } catch (Exception ignored) {
            // the socket is closing
        }
    }

    Request next() throws InterruptedException {
        return MessageSocket.take(requests, 15, "request message");
    }

    Request poll(long millis) throws InterruptedException {
        return requests.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Sends one message, split into WebSocket fragments of at most {@code fragment} bytes. */
    synchronized void send(byte[] message, int fragment) throws Exception {
        int pos = 0;
        do {
            int n = Math.min(fragment, message.length - pos);
            boolean last = pos + n == message.length;
            socket.sendBinary(ByteBuffer.wrap(message, pos, n), last);
            pos += n;
        } while (pos < message.length);
    }

    /** Sends one fragment of a message ({@code last} ends it). */
    synchronized void sendFragment(byte[] part, boolean last) throws Exception {
        socket.sendBinary(ByteBuffer.wrap(part), last);
    }

    void reply(String idText, String response) throws Exception {
        send((idText + response).getBytes(StandardCharsets.ISO_8859_1), 7);
    }

    /** Replaces the id of a captured reply message with {@code idText}. */
    void replyWithCaptured(String idText, byte[] captured) throws Exception {
        byte[] m = captured.clone();
        byte[] id = idText.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(id, 0, m, 0, 4);
        send(m, 100);
    }

    void sendText(String s) throws Exception {
        socket.sendText(s);
    }

    void abort() {
        pinger.shutdownNow();
        socket.abort();
    }

    @Override
    public void close() {
        abort();
    }

    // ------------------------------------------------------------------ hand-written parsing

    /** A message this agent cannot parse (e.g. a body cut short) becomes method "BROKEN". */
    static Request parseOrBroken(byte[] m) {
        try {
            return parse(m);
        } catch (RuntimeException | AssertionError e) {
            String idText = m.length >= 4 ? new String(m, 0, 4, StandardCharsets.US_ASCII) : "????";
            return new Request(-1, idText, "BROKEN", e.toString(), "", List.of(), new byte[0], m);
        }
    }

    static Request parse(byte[] m) {
        String idText = new String(m, 0, 4, StandardCharsets.US_ASCII);
        int id = Integer.parseInt(idText, 16);
        int end = -1;
        for (int i = 4; i + 3 < m.length; i++) {
            if (m[i] == '\r' && m[i + 1] == '\n' && m[i + 2] == '\r' && m[i + 3] == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw new AssertionError("no blank line in message " + idText);
        }
        String[] lines = new String(m, 4, end - 4, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] first = lines[0].split(" ");
        List<String[]> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.add(new String[] {lines[i].substring(0, c), lines[i].substring(c + 1).trim()});
        }
        int bodyStart = end + 4;
        byte[] rest = java.util.Arrays.copyOfRange(m, bodyStart, m.length);
        Request partial = new Request(id, idText, first[0], first[1], first[2], headers, new byte[0], m);
        byte[] body;
        if ("chunked".equalsIgnoreCase(partial.header("Transfer-Encoding"))) {
            body = dechunk(rest);
        } else if (partial.header("Content-Length") != null) {
            int n = Integer.parseInt(partial.header("Content-Length"));
            if (rest.length != n) {
                throw new AssertionError("body of " + rest.length + " bytes, Content-Length " + n);
            }
            body = rest;
        } else {
            if (rest.length != 0) {
                throw new AssertionError("unframed request body");
            }
            body = rest;
        }
        return new Request(id, idText, first[0], first[1], first[2], headers, body, m);
    }

    static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (true) {
            int eol = i;
            while (!(b[eol] == '\r' && b[eol + 1] == '\n')) {
                eol++;
            }
            int size = Integer.parseInt(new String(b, i, eol - i, StandardCharsets.US_ASCII).trim(), 16);
            i = eol + 2;
            if (size == 0) {
                if (b.length != i + 2) {
                    throw new AssertionError("bad chunked ending");
                }
                return out.toByteArray();
            }
            out.write(b, i, size);
            i += size;
            if (b[i] != '\r' || b[i + 1] != '\n') {
                throw new AssertionError("chunk not followed by CRLF");
            }
            i += 2;
        }
    }
}
