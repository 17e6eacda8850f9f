package io.wstunnel.srv.legacy;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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

    final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final AtomicInteger pongs = new AtomicInteger();
    private final WebSocket ws;
    private final ScheduledExecutorService pinger;

    private LegacyTestAgent(WebSocket ws, ScheduledExecutorService pinger) {
        this.ws = ws;
        this.pinger = pinger;
    }

    static LegacyTestAgent connect(int port, String token) throws Exception {
        return connect(port, token, true);
    }

    static LegacyTestAgent connect(int port, String token, boolean pings) throws Exception {
        LegacyTestAgent[] self = new LegacyTestAgent[1];
        BlockingQueue<Request> early = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        AtomicInteger pongs = new AtomicInteger();
        java.util.concurrent.atomic.AtomicLong partialBytes = new java.util.concurrent.atomic.AtomicLong();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("Origin", token)
                .header("X-Client-Version", "legacy-test-agent")
                .connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/_tunnel"), new WebSocket.Listener() {
                    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

                    @Override
                    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                        byte[] b = new byte[data.remaining()];
                        data.get(b);
                        partial.writeBytes(b);
                        partialBytes.set(last ? 0 : partial.size());
                        if (last) {
                            early.add(parseOrBroken(partial.toByteArray()));
                            partial.reset();
                        }
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onPong(WebSocket w, ByteBuffer message) {
                        pongs.incrementAndGet();
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
                        closed.complete(statusCode);
                        return null;
                    }

                    @Override
                    public void onError(WebSocket w, Throwable error) {
                        closed.complete(-1);
                    }
                }).get(5, TimeUnit.SECONDS);
        if (ws.getSubprotocol() != null && !ws.getSubprotocol().isEmpty()) {
            throw new AssertionError("server selected a subprotocol for a legacy agent: " + ws.getSubprotocol());
        }
        ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "legacy-test-agent-ping");
            t.setDaemon(true);
            return t;
        });
        LegacyTestAgent a = new LegacyTestAgent(ws, pinger);
        self[0] = a;
        a.requestsFrom(early);
        a.closedFrom(closed, pongs);
        a.partialBytes = partialBytes;
        if (pings) {
            pinger.scheduleAtFixedRate(a::ping, 0, 1, TimeUnit.SECONDS);
        }
        return a;
    }

    private BlockingQueue<Request> source;
    private AtomicInteger pongSource;
    private CompletableFuture<Integer> closedSource;

    private void requestsFrom(BlockingQueue<Request> q) {
        source = q;
    }

    private void closedFrom(CompletableFuture<Integer> c, AtomicInteger p) {
        closedSource = c;
        pongSource = p;
        c.whenComplete((v, e) -> closed.complete(v == null ? -1 : v));
    }

    private java.util.concurrent.atomic.AtomicLong partialBytes;

    /** Bytes received so far of a message whose last fragment has not arrived yet. */
    long partialBytes() {
        return partialBytes.get();
    }

    int pongCount() {
        return pongSource.get();
    }

    private synchronized void ping() {
        try {
            ws.sendPing(ByteBuffer.allocate(0)).get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the socket is closing
        }
    }

    Request next() throws InterruptedException {
        Request r = source.poll(15, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no request message within 15 s");
        }
        return r;
    }

    Request poll(long millis) throws InterruptedException {
        return source.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Sends one message, split into WebSocket fragments of at most {@code fragment} bytes. */
    synchronized void send(byte[] message, int fragment) throws Exception {
        int pos = 0;
        do {
            int n = Math.min(fragment, message.length - pos);
            boolean last = pos + n == message.length;
            ws.sendBinary(ByteBuffer.wrap(message, pos, n), last).get(10, TimeUnit.SECONDS);
            pos += n;
        } while (pos < message.length);
    }

    /** Sends one fragment of a message ({@code last} ends it). */
    synchronized void sendFragment(byte[] part, boolean last) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(part), last).get(10, TimeUnit.SECONDS);
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
        ws.sendText(s, true).get(5, TimeUnit.SECONDS);
    }

    void abort() {
        pinger.shutdownNow();
        ws.abort();
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
