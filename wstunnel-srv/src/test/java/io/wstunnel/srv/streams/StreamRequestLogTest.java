package io.wstunnel.srv.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.LogCapture;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.ServerPerTest;
import io.wstunnel.srv.tunnel.TokenRegistry;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket passthroughs and {@code /_tcp/NAME} streams get the request log lines of a tunnelled HTTP
 * request (arrival; completion with status, payload bytes each way and lifetime, nothing while the
 * stream flows), the audit record and a place in /admin/auditing's in-flight view while open.
 * Real server, real sockets, a frame-level agent.
 */
@Timeout(60)
class StreamRequestLogTest extends ServerPerTest {
    static final String TOKEN = "stream-log-token-0123456789";
    static final String REQUESTS = "io.wstunnel.srv.requests";
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CUT = Pattern.quote(TokenRegistry.cut(TOKEN));

    @TempDir
    Path dir;
    Path audit;

    @Override
    @org.junit.jupiter.api.BeforeEach
    protected void startServer() {
        audit = dir.resolve("audit.log");
        server = io.wstunnel.srv.TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .httpTimeout(Duration.ofSeconds(20)).auditLog(audit.toString()).build());
    }

    @Test
    void aWebSocketPassthroughLogsItsArrivalAndWhenItEndsA101WithPayloadBytesEachWay() throws Exception {
        try (LogCapture log = LogCapture.info(REQUESTS); FrameAgent agent = FrameAgent.connect(server.port(), TOKEN);
             Socket caller = upgrade("/_token/" + TOKEN + "/ws?ticket=s3cr3t")) {
            Frame.Open open = agent.next(Frame.Open.class);
            assertThat(open.kind()).isEqualTo(StreamKind.WEBSOCKET);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(101, "Switching Protocols",
                    Headers.of("Connection", "Upgrade", "Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")), false));
            assertThat(head(caller.getInputStream())).startsWith("HTTP/1.1 101");

            caller.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertThat(payload(agent.next(Frame.Data.class))).isEqualTo("hello");
            agent.send(new Frame.Data(open.streamId(), ascii("goodbye"), false));
            assertThat(new String(caller.getInputStream().readNBytes(7), StandardCharsets.US_ASCII)).isEqualTo("goodbye");

            assertThat(log.messages(REQUESTS)).as("the arrival line only, while the stream flows").hasSize(1);
            assertThat(log.messages(REQUESTS).get(0)).matches("req \\w+ tunnel " + CUT + " GET /ws\\?ticket=\\.\\.\\.");
            JsonNode inFlight = activeConnection();
            assertThat(inFlight.get("uri").asText()).isEqualTo("/ws?ticket=s3cr3t");
            assertThat(inFlight.get("bytes_in").asLong()).isEqualTo(5); // counted before it went to the agent
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> // counted once the write returned
                    assertThat(activeConnection().get("bytes_out").asLong()).isEqualTo(7));

            agent.send(new Frame.Data(open.streamId(), ByteBuffer.allocate(0), true));
            caller.shutdownOutput(); // both ends done: the stream ends
            assertThat(caller.getInputStream().read()).isEqualTo(-1);

            String done = completion(log);
            assertThat(done).matches("req \\w+ tunnel " + CUT + " GET /ws\\?ticket=\\.\\.\\. -> 101 in=5B out=7B \\d+ms");
            assertThat(log.messages(REQUESTS)).allSatisfy(m -> assertThat(m).doesNotContain("s3cr3t", TOKEN));
            JsonNode rec = auditRecord();
            assertThat(rec.get("path").asText()).isEqualTo("/ws?ticket=s3cr3t");
            assertThat(rec.get("status").asInt()).isEqualTo(101);
            assertThat(rec.get("bytes_in").asLong()).isEqualTo(5);
            assertThat(rec.get("bytes_out").asLong()).isEqualTo(7);
            assertThat(rec.has("close_code")).isFalse();
            assertThat(tunnelStats().get("completed_requests").asLong()).as("a 101 stream counts as completed").isOne();
        }
    }

    @Test
    void aRefusedWebSocketUpgradeLogsTheRefusalsStatusAndBody() throws Exception {
        try (LogCapture log = LogCapture.info(REQUESTS); FrameAgent agent = FrameAgent.connect(server.port(), TOKEN);
             Socket caller = upgrade("/_token/" + TOKEN + "/ws")) {
            Frame.Open open = agent.next(Frame.Open.class);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(403, "", Headers.EMPTY), false));
            agent.send(new Frame.Data(open.streamId(), ascii("nope"), true));
            assertThat(head(caller.getInputStream())).startsWith("HTTP/1.1 403");

            assertThat(completion(log)).matches("req \\w+ tunnel " + CUT + " GET /ws -> 403 in=0B out=4B \\d+ms");
            assertThat(auditRecord().get("status").asInt()).isEqualTo(403);
        }
    }

    @Test
    void aTcpStreamLogsItsArrivalAndWhenItEndsA101WithPayloadBytesAndTheServersCloseCode() throws Exception {
        try (LogCapture log = LogCapture.info(REQUESTS); FrameAgent agent = FrameAgent.connect(server.port(), TOKEN)) {
            Client client = new Client();
            CompletableFuture<WebSocket> connecting = client.connect(server.port(), "/_token/" + TOKEN + "/_tcp/db?pw=hunter2");
            Frame.Open open = agent.next(Frame.Open.class);
            assertThat(open.kind()).isEqualTo(StreamKind.TCP);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "", Headers.EMPTY), false));
            WebSocket ws = connecting.get(10, TimeUnit.SECONDS);
            try {
                ws.sendBinary(ascii("select"), true).get(10, TimeUnit.SECONDS);
                assertThat(payload(agent.next(Frame.Data.class))).isEqualTo("select");
                agent.send(new Frame.Data(open.streamId(), ascii("rows"), false));
                assertThat(client.received.poll(10, TimeUnit.SECONDS)).isEqualTo("rows");

                assertThat(log.messages(REQUESTS)).as("the arrival line only, while the stream flows").hasSize(1);
                assertThat(log.messages(REQUESTS).get(0)).matches("req \\w+ tunnel " + CUT + " GET /_tcp/db\\?pw=\\.\\.\\.");
                assertThat(activeConnection().get("uri").asText()).isEqualTo("/_tcp/db?pw=hunter2");

                agent.send(new Frame.Data(open.streamId(), ByteBuffer.allocate(0), true)); // the target closed
                assertThat(client.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1000);

                assertThat(completion(log)).matches("req \\w+ tunnel " + CUT
                        + " GET /_tcp/db\\?pw=\\.\\.\\. -> 101 in=6B out=4B \\d+ms close=1000");
                assertThat(log.messages(REQUESTS)).allSatisfy(m -> assertThat(m).doesNotContain("hunter2", TOKEN));
                JsonNode rec = auditRecord();
                assertThat(rec.get("path").asText()).isEqualTo("/_tcp/db?pw=hunter2");
                assertThat(rec.get("status").asInt()).isEqualTo(101);
                assertThat(rec.get("bytes_in").asLong()).isEqualTo(6);
                assertThat(rec.get("bytes_out").asLong()).isEqualTo(4);
                assertThat(rec.get("close_code").asInt()).isEqualTo(1000);
            } finally {
                ws.abort();
            }
        }
    }

    @Test
    void aTcpStreamTheAgentCannotConnectLogsA101AndThe1011ItWasClosedWith() throws Exception {
        try (LogCapture log = LogCapture.info(REQUESTS); FrameAgent agent = FrameAgent.connect(server.port(), TOKEN)) {
            Client client = new Client();
            CompletableFuture<WebSocket> connecting = client.connect(server.port(), "/_token/" + TOKEN + "/_tcp/down");
            Frame.Open open = agent.next(Frame.Open.class);
            WebSocket ws = connecting.get(10, TimeUnit.SECONDS);
            try {
                agent.send(new Frame.Reset(open.streamId(), ErrorCode.CONNECT_ERROR, "connection refused"));
                assertThat(client.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1011);

                assertThat(completion(log)).matches("req \\w+ tunnel " + CUT
                        + " GET /_tcp/down -> 101 in=0B out=0B \\d+ms close=1011");
                assertThat(auditRecord().get("close_code").asInt()).isEqualTo(1011);
            } finally {
                ws.abort();
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The completion line: the second of the request's two lines (awaited, bounded). */
    static String completion(LogCapture log) {
        await().atMost(Duration.ofSeconds(10)).until(() -> log.messages(REQUESTS).size() >= 2);
        List<String> lines = log.messages(REQUESTS);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).startsWith(lines.get(0) + " -> ");
        return lines.get(1);
    }

    /** The one "request" record of the audit log (awaited: records are written asynchronously). */
    JsonNode auditRecord() {
        List<JsonNode> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            found.clear();
            if (Files.exists(audit)) {
                for (String line : Files.readAllLines(audit)) {
                    JsonNode n = JSON.readTree(line);
                    if (n.path("event").asText().equals("request")) {
                        found.add(n);
                    }
                }
            }
            return !found.isEmpty();
        });
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    /** The token's one in-flight request in /admin/auditing. */
    JsonNode activeConnection() throws Exception {
        JsonNode conns = tunnelStats().get("active_connections");
        assertThat(conns).hasSize(1);
        return conns.get(0);
    }

    JsonNode tunnelStats() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url("/admin/auditing")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode tunnels = JSON.readTree(r.body()).get("tunnels");
        assertThat(tunnels).hasSize(1);
        return tunnels.elements().next();
    }

    /** A raw caller socket that has sent a WebSocket upgrade for {@code path}. */
    Socket upgrade(String path) throws Exception {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return s;
    }

    /** The response head, up to and including its blank line. */
    static String head(InputStream in) throws java.io.IOException {
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        while (!h.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            h.write(b);
        }
        return h.toString(StandardCharsets.ISO_8859_1);
    }

    static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    static String payload(Frame.Data d) {
        byte[] b = new byte[d.payload().remaining()];
        d.payload().get(b);
        return new String(b, StandardCharsets.US_ASCII);
    }

    /** A JDK WebSocket client of a TCP stream: whole binary messages as text, and the close code it got. */
    static final class Client implements WebSocket.Listener {
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        CompletableFuture<WebSocket> connect(int port, String path) {
            return HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + path), this);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            partial.writeBytes(b);
            if (last) {
                received.add(partial.toString(StandardCharsets.US_ASCII));
                partial.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(-1);
        }
    }
}
