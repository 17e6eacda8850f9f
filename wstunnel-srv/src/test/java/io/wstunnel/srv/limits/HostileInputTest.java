package io.wstunnel.srv.limits;

import static io.wstunnel.srv.limits.Support.TOKEN_A;
import static io.wstunnel.srv.limits.Support.TOKEN_B;
import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.srv.TunnelServer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The table of bad inputs and what each gets, kept in README ("What the server refuses and why").
 * Caller rows prove with a recording agent that nothing refused is ever forwarded.
 */
@Timeout(60)
class HostileInputTest {
    static TunnelServer server;
    static WsAgent recorder;
    static List<Frame.Open> forwarded;

    @BeforeAll
    static void start() throws Exception {
        // A 16 KiB stream window, so that one 60 KB DATA frame is a window violation whatever the caller reads.
        server = TunnelServer.start(io.wstunnel.srv.ServerConfig.builder().host("127.0.0.1").port(0)
                .httpTimeout(Duration.ofSeconds(10)).settings(new Settings(16 * 1024, 256, 64 * 1024, 64 * 1024))
                .limits(Limits.builder().maxHeaderBytes(2048).maxUriLength(256).agentControlFramesPerSecond(500).build())
                .build());
        recorder = WsAgent.connect(server.port(), TOKEN_A, Settings.DEFAULT);
        forwarded = Support.serve(recorder);
    }

    @AfterAll
    static void stop() throws Exception {
        for (java.net.Socket s : stalledCallers) {
            s.close();
        }
        recorder.close();
        server.stop(Duration.ZERO);
    }

    /** One row: a raw request (PATH is replaced by a path unique to the row), the status, and whether the agent sees it. */
    record CallerRow(String side, String what, String request, int status, boolean forwarded, String reason, boolean closes) {
        CallerRow(String side, String what, String request, int status, boolean forwarded) {
            this(side, what, request, status, forwarded, null, false);
        }

        /** A refusal with a reason, after which the connection is closed. */
        CallerRow(String side, String what, String request, int status, boolean forwarded, String reason) {
            this(side, what, request, status, forwarded, reason, true);
        }

        @Override
        public String toString() {
            return side + ": " + what + " -> " + status;
        }
    }

    /** Status -1: the connection is closed without a response. */
    static final int CLOSED = -1;
    static final List<java.net.Socket> stalledCallers = new java.util.concurrent.CopyOnWriteArrayList<>();
    static final String T = "X-Token: " + TOKEN_A + "\r\n";
    static final String FOLD = "Obsolete line folding is not accepted";

    static Stream<CallerRow> callerRows() {
        return Stream.of(
                new CallerRow("caller", "Content-Length and Transfer-Encoding", "POST PATH HTTP/1.1\r\nHost: x\r\n" + T
                        + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, false),
                new CallerRow("caller", "duplicate equal Content-Length", "POST PATH HTTP/1.1\r\nHost: x\r\n" + T
                        + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400, false),
                new CallerRow("caller", "differing Content-Length", "POST PATH HTTP/1.1\r\nHost: x\r\n" + T
                        + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, false),
                new CallerRow("caller", "Content-Length list", "POST PATH HTTP/1.1\r\nHost: x\r\n" + T
                        + "Content-Length: 3, 3\r\n\r\nabc", 400, false),
                new CallerRow("caller", "negative Content-Length", "POST PATH HTTP/1.1\r\nHost: x\r\n" + T
                        + "Content-Length: -1\r\n\r\n", 400, false),
                new CallerRow("caller", "bare LF line endings", "GET PATH HTTP/1.1\nHost: x\n" + T.replace("\r", "") + "\n", 400, false),
                new CallerRow("caller", "invalid header name (space)", "GET PATH HTTP/1.1\r\nHost: x\r\n" + T + "X A: b\r\n\r\n", 400, false),
                new CallerRow("caller", "space before colon", "GET PATH HTTP/1.1\r\nHost: x\r\n" + T + "X-A : b\r\n\r\n", 400, false),
                new CallerRow("caller", "NUL in a header value", "GET PATH HTTP/1.1\r\nHost: x\r\n" + T + "X-A: b\0c\r\n\r\n", 400, false),
                new CallerRow("caller", "NUL in the path", "GET PATH\0x HTTP/1.1\r\nHost: x\r\n" + T + "\r\n", 400, false),
                new CallerRow("caller", "bare CR in a header value", "GET PATH HTTP/1.1\r\nHost: x\r\n" + T + "X-A: b\rc\r\n\r\n", 400, false),
                new CallerRow("caller", "raw UTF-8 in the request line", "GET PATH/\u00c3\u00a9 HTTP/1.1\r\nHost: x\r\n" + T + "\r\n", 400, false),
                new CallerRow("caller", "two Host headers", "GET PATH HTTP/1.1\r\nHost: x\r\nHost: y\r\n" + T + "\r\n", 400, false),
                new CallerRow("caller", "Transfer-Encoding other than chunked", "POST PATH HTTP/1.1\r\nHost: x\r\n" + T
                        + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400, false),
                new CallerRow("caller", "Transfer-Encoding gzip, chunked", "POST PATH HTTP/1.1\r\nHost: x\r\n" + T
                        + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, false),
                new CallerRow("caller", "Transfer-Encoding in HTTP/1.0", "POST PATH HTTP/1.0\r\nHost: x\r\n" + T
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, false),
                chunked("absurd chunk size in the first chunk", "fffffffffffffffffff\r\nabc\r\n0\r\n\r\n", "chunk size too large"),
                chunked("non-hex chunk size in the first chunk", "zz\r\nabc\r\n0\r\n\r\n", "invalid chunk size"),
                chunked("signed chunk size", "+3\r\nabc\r\n0\r\n\r\n", "invalid chunk size"),
                chunked("bare LF after the chunk size", "3\nabc\r\n0\r\n\r\n", "invalid chunk size"),
                chunked("NUL in a chunk extension", "3;\0\r\nabc\r\n0\r\n\r\n", "control character in a chunk extension"),
                chunked("chunk data longer than its size", "3\r\nabcdef\r\n0\r\n\r\n", "chunk data longer than its chunk size"),
                chunked("trailer field with obs-fold", "3\r\nabc\r\n0\r\nX-A: a\r\n b\r\n\r\n", "obsolete line folding in the trailer section"),
                new CallerRow("caller", "head over -max-header-bytes", "GET PATH HTTP/1.1\r\nHost: x\r\n" + T
                        + "X-Big: " + "a".repeat(3000) + "\r\n\r\n", 431, false),
                new CallerRow("caller", "URI over -max-uri-length", "GET PATH/" + "u".repeat(300) + " HTTP/1.1\r\nHost: x\r\n" + T + "\r\n", 414, false),
                new CallerRow("caller", "no token", "GET PATH HTTP/1.1\r\nHost: x\r\n\r\n", 400, false),
                new CallerRow("caller", "unknown token", "GET PATH HTTP/1.1\r\nHost: x\r\nX-Token: no-such-token-0000000\r\n\r\n", 404, false),
                new CallerRow("caller", "obs-fold (a header line starting with a space)", "GET PATH HTTP/1.1\r\nHost: x\r\n" + T
                        + "X-A: one\r\n two\r\n\r\n", 400, false, FOLD),
                new CallerRow("caller", "obs-fold with a tab", "GET PATH HTTP/1.1\r\nHost: x\r\n" + T
                        + "X-A: one\r\n\ttwo\r\n\r\n", 400, false, FOLD),
                new CallerRow("caller", "white space before the first header field (Undertow's parser)",
                        "GET PATH HTTP/1.1\r\n Host: x\r\n" + T + "\r\n", 400, false),
                new CallerRow("caller", "CONNECT with a token", "CONNECT PATH HTTP/1.1\r\nHost: x\r\n" + T + "\r\n", 501, false,
                        "CONNECT is not supported"),
                new CallerRow("caller", "CONNECT in authority form", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n"
                        + T + "\r\n", 501, false, "CONNECT is not supported"),
                new CallerRow("caller", "HTTP major version other than 1", "GET PATH HTTP/9.9\r\nHost: x\r\n" + T + "\r\n", 505, false,
                        "HTTP version not supported"),
                new CallerRow("caller", "WebSocket to a TCP target with version 99", "GET /_token/" + TOKEN_A + "/_tcp/ssh HTTP/1.1\r\n"
                        + "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 99\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 400, false, "Unsupported WebSocket version (13 required)", false),
                new CallerRow("caller", "WebSocket to a TCP target with a malformed key", "GET /_token/" + TOKEN_A + "/_tcp/ssh HTTP/1.1\r\n"
                        + "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        + "Sec-WebSocket-Key: c2hvcnQ=\r\n\r\n", 400, false, "Missing or malformed Sec-WebSocket-Key", false),
                new CallerRow("admin", "admin page by DNS name (rebinding)", "GET /admin/ HTTP/1.1\r\nHost: evil.example\r\n\r\n", 403, false),
                new CallerRow("admin", "admin action from another origin", "POST /admin/agents/a-1/disconnect HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Origin: http://evil.example\r\nContent-Length: 0\r\n\r\n", 403, false),
                new CallerRow("admin", "admin action with GET", "GET /admin/agents/a-1/disconnect HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405, false),
                new CallerRow("agent", "upgrade without token (Origin)", "GET /_tunnel HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\n\r\n", 400, false),
                new CallerRow("agent", "token shorter than 16 characters", "GET /_tunnel HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\nOrigin: short\r\n\r\n", 400, false),
                new CallerRow("agent", "not an upgrade", "GET /_tunnel HTTP/1.1\r\nHost: x\r\nOrigin: " + TOKEN_B + "\r\n\r\n", 400, false),
                new CallerRow("agent", "wstunnel.v2 upgrade with WebSocket version 8", "GET /_tunnel HTTP/1.1\r\nHost: x\r\n"
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\nOrigin: " + TOKEN_B + "\r\nSec-WebSocket-Protocol: wstunnel.v2\r\n"
                        + "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 400, false),
                new CallerRow("agent", "wstunnel.v2 upgrade without Sec-WebSocket-Key", "GET /_tunnel HTTP/1.1\r\nHost: x\r\n"
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\nOrigin: " + TOKEN_B + "\r\nSec-WebSocket-Protocol: wstunnel.v2\r\n"
                        + "Sec-WebSocket-Version: 13\r\n\r\n", 400, false),
                new CallerRow("agent", "wstunnel.v2 upgrade with a malformed Sec-WebSocket-Key", "GET /_tunnel HTTP/1.1\r\nHost: x\r\n"
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\nOrigin: " + TOKEN_B + "\r\nSec-WebSocket-Protocol: wstunnel.v2\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n\r\n", 400, false),
                new CallerRow("agent", "legacy upgrade with WebSocket version 8", "GET /_tunnel HTTP/1.1\r\nHost: x\r\n"
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\nOrigin: " + TOKEN_B + "\r\n"
                        + "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 400, false,
                        "Unsupported WebSocket version (13 required)", false),
                new CallerRow("agent", "legacy upgrade without Sec-WebSocket-Key", "GET /_tunnel HTTP/1.1\r\nHost: x\r\n"
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\nOrigin: " + TOKEN_B + "\r\n"
                        + "Sec-WebSocket-Version: 13\r\n\r\n", 400, false, "Missing or malformed Sec-WebSocket-Key", false),
                new CallerRow("agent", "legacy upgrade with a malformed Sec-WebSocket-Key", "GET /_tunnel HTTP/1.1\r\nHost: x\r\n"
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\nOrigin: " + TOKEN_B + "\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n\r\n", 400, false,
                        "Missing or malformed Sec-WebSocket-Key", false));
    }

    /** A chunked POST whose body is {@code body}: refused with 400 and the decoder's reason, never forwarded. */
    static CallerRow chunked(String what, String body, String reason) {
        return new CallerRow("caller", what, "POST PATH HTTP/1.1\r\nHost: x\r\n" + T + "Transfer-Encoding: chunked\r\n\r\n" + body,
                400, false, "Malformed chunked request body: " + reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("callerRows")
    void callerAndAdminInputs(CallerRow row) throws Exception {
        String path = "/row-" + Integer.toHexString(row.what().hashCode());
        Support.Response r = Support.raw(server.port(), row.request().replace("PATH", path).getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).as(row.what() + "\n" + r.head()).isEqualTo(row.status());
        boolean seen = forwarded.stream().anyMatch(o -> o.head().target().startsWith(path));
        assertThat(seen).as("forwarded to the agent").isEqualTo(row.forwarded());
        if (row.reason() != null) {
            assertThat(r.body()).as("plain-text reason").startsWith(row.reason());
            if (row.closes()) {
                assertThat(r.header("Connection")).as("connection closed after the refusal").isEqualToIgnoringCase("close");
            }
        }
    }

    static final String TOKEN_C = "limits-token-cccccccccccc";

    /**
     * A malformed chunk after a good one, while the request is already streaming to an agent that has
     * not answered yet: the agent gets the head and the good chunk, then a RESET (CANCEL), never an end
     * of stream; the caller gets a 400 with the reason, and the connection is closed after it.
     */
    @ParameterizedTest(name = "caller: malformed chunk later in a streamed body ({0}) -> RESET at the agent, 400")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"fffffffffffffffffff", "zz"})
    void malformedChunkLaterInAStreamedBody(String badSize) throws Exception {
        try (WsAgent agent = WsAgent.connect(server.port(), TOKEN_C, Settings.DEFAULT);
             java.net.Socket caller = new java.net.Socket("127.0.0.1", server.port())) {
            caller.setSoTimeout(10_000);
            java.io.OutputStream out = caller.getOutputStream();
            out.write(("POST /streamed HTTP/1.1\r\nHost: x\r\nX-Token: " + TOKEN_C + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Frame.Open open = agent.next(Frame.Open.class);
            StringBuilder body = new StringBuilder();
            while (body.length() < 5) {
                Frame.Data d = agent.next(Frame.Data.class);
                assertThat(d.endStream()).as("end of stream before the bad chunk").isFalse();
                body.append(StandardCharsets.ISO_8859_1.decode(d.payload()));
            }
            assertThat(body).hasToString("hello");
            out.write((badSize + "\r\nabc\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Frame f;
            do {
                f = agent.next();
                assertThat(f instanceof Frame.Data d && d.endStream()).as("complete-looking request").isFalse();
            } while (!(f instanceof Frame.Reset));
            Frame.Reset reset = (Frame.Reset) f;
            assertThat(reset.streamId()).isEqualTo(open.streamId());
            assertThat(reset.code()).isEqualTo(ErrorCode.CANCEL);
            Support.Response r = Support.read(caller.getInputStream());
            assertThat(r.status()).as(r.head()).isEqualTo(400);
            assertThat(r.body()).startsWith("Malformed chunked request body: ");
            assertThat(Support.read(caller.getInputStream()).status()).as("then the connection is closed").isEqualTo(CLOSED);
        }
    }

    /** A misbehaving agent: what it does to its own socket. */
    interface Misbehaviour {
        void apply(WsAgent bad) throws Exception;
    }

    record AgentRow(String what, Misbehaviour action, int closeCode) {
        @Override
        public String toString() {
            return "agent: " + what + " -> close " + closeCode;
        }
    }

    static Stream<AgentRow> agentRows() {
        return Stream.of(
                new AgentRow("garbage frame (unknown type)", a -> a.sendRaw(new byte[] {0x7f, 0, 0, 0, 0, 1}), 1002),
                new AgentRow("truncated frame header", a -> a.sendRaw(new byte[] {0x03, 0}), 1002),
                new AgentRow("second HELLO", a -> a.send(new Frame.Hello(Settings.DEFAULT)), 1002),
                new AgentRow("DATA beyond the stream window", a -> {
                    Frame.Open o = openStream(a);
                    a.send(new Frame.Reply(o.streamId(), new ResponseHead(200, "", Headers.of()), false));
                    ByteBuffer chunk = ByteBuffer.wrap(new byte[60_000]);
                    try {
                        for (int i = 0; i < 2; i++) {
                            a.send(new Frame.Data(o.streamId(), chunk.duplicate(), false));
                        }
                    } catch (java.io.IOException closedByServer) {
                        // expected once the violation is seen
                    }
                }, 1002),
                new AgentRow("flood of 100k WINDOW_UPDATEs", a -> a.flood(new Frame.WindowUpdate(1, 1), 100_000), 1008),
                new AgentRow("flood of 100k pings", a -> a.floodPings(100_000), 1008),
                new AgentRow("flood of REPLYs for unknown streams", a -> a.flood(new Frame.Reply(99_999,
                        new ResponseHead(200, "", Headers.of()), true), 20_000), 1008),
                new AgentRow("flood of 100k empty DATA frames (no END_STREAM) on a live stream", a -> {
                    Frame.Open o = openStream(a);
                    a.send(new Frame.Reply(o.streamId(), new ResponseHead(200, "", Headers.of()), false));
                    a.flood(new Frame.Data(o.streamId(), ByteBuffer.allocate(0), false), 100_000);
                }, 1008),
                new AgentRow("flood of OPENs of an unknown kind (stream-level errors)", a -> a.floodRaw(
                        i -> unknownKindOpen(2 * (i + 1)), 20_000), 1008),
                new AgentRow("flood of REPLYs with a status out of range for unknown streams", a -> a.floodRaw(
                        i -> replyWithStatus(99_999, 0), 20_000), 1008),
                new AgentRow("OPEN of an unknown kind with the server's own stream id", a -> a.sendRaw(
                        unknownKindOpen(openStream(a).streamId())), 1002),
                new AgentRow("text message", a -> a.sendText("hello"), 1003));
    }

    /** An OPEN of kind 0x7f, unknown to this version (a stream-level error, PROTOCOL.md §3.2). */
    static byte[] unknownKindOpen(int streamId) {
        return ByteBuffer.allocate(7).put((byte) 0x01).put((byte) 0).putInt(streamId).put((byte) 0x7f).array();
    }

    /** A REPLY, well-formed except for its status (a stream-level error, PROTOCOL.md §3.3). */
    static byte[] replyWithStatus(int streamId, int status) {
        ByteBuffer b = io.wstunnel.protocol.FrameCodec.encode(new Frame.Reply(streamId,
                new ResponseHead(200, "", Headers.of()), true));
        b.putShort(6, (short) status);
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    /** A caller that never reads its response, so the server never gives the agent more credit. */
    static Frame.Open openStream(WsAgent a) throws Exception {
        java.net.Socket s = new java.net.Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
        stalledCallers.add(s);
        s.getOutputStream().write(Support.get(TOKEN_B, "/victim").getBytes(StandardCharsets.ISO_8859_1));
        return a.next(Frame.Open.class);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("agentRows")
    void misbehavingAgentLosesOnlyItsOwnTunnel(AgentRow row) throws Exception {
        try (WsAgent bad = WsAgent.connect(server.port(), TOKEN_B, Settings.DEFAULT)) {
            row.action().apply(bad);
            // Another tenant is served while (and after) the bad agent is dealt with.
            assertThat(Support.raw(server.port(), Support.get(TOKEN_A, "/during")).status()).isEqualTo(200);
            int code = bad.closed.get(10, TimeUnit.SECONDS);
            if (row.closeCode() == 1008 && code == -1) {
                // A flood still being written when the server closes may get a TCP reset that overtakes the
                // close frame; the socket must be gone all the same (only the recorder agent is left).
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                while (server.agents() > 1 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(server.agents()).as(row.what()).isEqualTo(1);
            } else {
                assertThat(code).as(row.what() + " (" + bad.closeReason + ")").isEqualTo(row.closeCode());
            }
            assertThat(Support.raw(server.port(), Support.get(TOKEN_A, "/after")).status()).isEqualTo(200);
        }
    }

    static { // referenced for readers of the table: the error behind 1008 floods
        assertThat(ErrorCode.POLICY_VIOLATION.closeCode()).isEqualTo(1008);
    }
}
