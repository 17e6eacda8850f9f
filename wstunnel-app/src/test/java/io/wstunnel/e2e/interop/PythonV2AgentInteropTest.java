package io.wstunnel.e2e.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wstunnel.e2e.RawHttp;
import io.wstunnel.e2e.TunnelFixture;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real server against {@code protocol/interop/v2_agent.py}, an agent written in Python from
 * PROTOCOL.md alone: proof that the spec is enough to interoperate. The peer answers streams
 * itself (a JSON echo with the digest of the request body it received; {@code /big?n=N}: N bytes,
 * byte i = i % 251) and announces small settings (window 64 KiB, frames 16 KiB), so every body
 * here needs many WINDOW_UPDATEs both ways. The peer ends the tunnel with a connection error (and
 * reports it) if the server breaks the spec: sends beyond a window or above MAX_FRAME_PAYLOAD.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PythonV2AgentInteropTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int MIB = 1024 * 1024;

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withJdkBackend(http -> { }).noAgent();

    private PythonPeer peer;

    @AfterEach
    void stopPeer() throws InterruptedException {
        if (peer != null) {
            peer.close();
        }
    }

    /** Starts the peer and waits until the server counts it and it has the server's HELLO. */
    private void startPeer(String name, String... args) throws Exception {
        peer = PythonPeer.start("python-peer-" + name, "ws://127.0.0.1:" + tunnel.serverPort(), tunnel.token(), args);
        peer.await("hello", e -> true, WAIT);
        await().atMost(WAIT).until(() -> tunnel.tunnelServer().agents() == 1 || !peer.isAlive());
        assertThat(peer.isAlive()).as("peer alive after the handshake; %s", peer.describe()).isTrue();
    }

    /** What the whole test relies on: the peer saw no broken rule and refused no stream. */
    private void assertPeerSawNoViolation() {
        assertThat(peer.events("error")).as("connection errors the peer detected").isEmpty();
        assertThat(peer.events("stream_error")).as("streams the peer reset (e.g. REFUSED_STREAM)").isEmpty();
        assertThat(peer.isAlive()).as("peer still connected; %s", peer.describe()).isTrue();
    }

    @Test
    void smallGetIsAnsweredByThePythonPeer() throws Exception {
        startPeer("small-get");
        HttpResponse<String> r = tunnel.callerGet("/hello/world?x=1&y=%20", "X-Custom", "custom value");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode echo = JSON.readTree(r.body());
        assertThat(echo.path("method").asText()).isEqualTo("GET");
        assertThat(echo.path("target").asText()).isEqualTo("/hello/world?x=1&y=%20");
        assertThat(echo.path("scheme").asText()).isEqualTo("http");
        assertThat(echo.path("length").asLong()).isZero();
        List<String> names = new ArrayList<>();
        echo.path("headers").forEach(h -> names.add(h.get(0).asText().toLowerCase()));
        assertThat(names).contains("x-custom", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host")
                .doesNotContain("x-token", "host", "connection");
        JsonNode seen = peer.await("request", e -> e.path("target").asText().startsWith("/hello/"), WAIT);
        assertThat(seen.path("method").asText()).isEqualTo("GET");
        assertPeerSawNoViolation();
    }

    @Test
    void headResponseKeepsContentLengthWithoutABody() throws Exception {
        startPeer("head");
        HttpResponse<String> r = tunnel.client().send(tunnel.callerRequest("/big?n=1000")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-length")).hasValue("1000");
        assertThat(r.body()).isEmpty();
        assertThat(tunnel.callerGet("/after-head").statusCode()).as("the tunnel after a HEAD").isEqualTo(200);
        assertPeerSawNoViolation();
    }

    @Test
    void uploadsMuchLargerThanTheWindowStreamThroughTheFlowControl() throws Exception {
        startPeer("upload");
        byte[] body = RawHttp.randomBytes(6 * MIB + 123, 42);
        String expected = RawHttp.sha256(body);

        // With Content-Length, then chunked (no Content-Length in OPEN: the body ends with END_STREAM).
        HttpResponse<String> sized = tunnel.client().send(tunnel.callerRequest("/upload/sized")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> chunked = tunnel.client().send(tunnel.callerRequest("/upload/chunked")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                HttpResponse.BodyHandlers.ofString());

        for (HttpResponse<String> r : List.of(sized, chunked)) {
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode echo = JSON.readTree(r.body());
            assertThat(echo.path("length").asLong()).as("bytes the peer received").isEqualTo(body.length);
            assertThat(echo.path("sha256").asText()).as("digest of what the peer received").isEqualTo(expected);
        }
        JsonNode chunkedSeen = peer.await("request", e -> e.path("target").asText().equals("/upload/chunked"), WAIT);
        assertThat(chunkedSeen.path("sha256").asText()).isEqualTo(expected);
        assertThat(peer.await("request", e -> e.path("target").asText().equals("/upload/sized"), WAIT)
                .path("content_length_ok").asBoolean()).as("body length equals the OPEN's Content-Length").isTrue();
        assertPeerSawNoViolation();
    }

    @Test
    void downloadsMuchLargerThanTheWindowArriveWhole() throws Exception {
        startPeer("download");
        int n = 8 * MIB + 7;
        for (String query : List.of("", "&unframed=1")) {
            HttpResponse<InputStream> r = tunnel.client().send(tunnel.callerRequest("/big?n=" + n + query).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            if (query.isEmpty()) {
                assertThat(r.headers().firstValue("content-length")).hasValue(String.valueOf(n));
            } else {
                assertThat(r.headers().firstValue("transfer-encoding")).hasValue("chunked");
            }
            try (InputStream in = r.body()) {
                assertThat(RawHttp.countAndDigest(in)).as("/big%s", query).isEqualTo(patternCountAndDigest(n));
            }
        }
        assertPeerSawNoViolation();
    }

    @Test
    void messagesSplitIntoWebSocketFragmentsAreJoinedByTheServer() throws Exception {
        // Every message of the peer in 100-byte fragments, with a ping between fragments (PROTOCOL.md §1).
        startPeer("fragments", "--fragment", "100");
        HttpResponse<String> echo = tunnel.callerGet("/fragmented");
        assertThat(echo.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(echo.body()).path("target").asText()).isEqualTo("/fragmented");
        HttpResponse<InputStream> big = tunnel.client().send(tunnel.callerRequest("/big?n=300001").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = big.body()) {
            assertThat(RawHttp.countAndDigest(in)).isEqualTo(patternCountAndDigest(300001));
        }
        assertPeerSawNoViolation();
    }

    @Test
    void concurrentStreamsStayWithinThePeersMaxConcurrentStreams() throws Exception {
        startPeer("concurrent", "--max-streams", "3");
        byte[] body = RawHttp.randomBytes(MIB, 7);
        List<CompletableFuture<String>> results = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            results.add(tunnel.client().sendAsync(tunnel.callerRequest("/up/" + i)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString()).thenApply(r -> r.statusCode() + " " + r.body()));
            results.add(tunnel.client().sendAsync(tunnel.callerRequest("/big?n=" + (2 * MIB + i)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream()).thenApply(r -> {
                        try (InputStream in = r.body()) {
                            return r.statusCode() + " " + RawHttp.countAndDigest(in);
                        } catch (java.io.IOException e) {
                            return "failed: " + e;
                        }
                    }));
        }
        for (int i = 0; i < 4; i++) {
            String up = results.get(2 * i).get(60, TimeUnit.SECONDS);
            assertThat(up).startsWith("200 ");
            assertThat(JSON.readTree(up.substring(4)).path("sha256").asText()).isEqualTo(RawHttp.sha256(body));
            assertThat(results.get(2 * i + 1).get(60, TimeUnit.SECONDS))
                    .isEqualTo("200 " + patternCountAndDigest(2 * MIB + i));
        }
        // The peer counts its open streams when a request ends; never more than it announced.
        assertThat(peer.events("request")).allSatisfy(e -> assertThat(e.path("open_streams").asInt()).isBetween(1, 3));
        assertPeerSawNoViolation();
    }

    @Test
    void callerLeavingMidResponseResetsThePeersStream() throws Exception {
        startPeer("cancel");
        String target = "/big?n=" + (1L << 30);
        try (Socket caller = RawHttp.connect(tunnel.serverPort(), 20_000)) {
            RawHttp.send(caller, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Token: " + tunnel.token(),
                    new byte[0]);
            InputStream in = new BufferedInputStream(caller.getInputStream());
            assertThat(RawHttp.readHead(in).status()).isEqualTo(200);
            assertThat(in.readNBytes(256 * 1024)).hasSize(256 * 1024);
        } // the caller goes away mid-response

        JsonNode reset = peer.await("reset", e -> e.path("target").asText().equals(target), WAIT);
        assertThat(reset.path("error").asInt()).as("RESET error code (CANCEL)").isEqualTo(0x8);
        assertThat(reset.path("sent").asLong()).as("bytes the peer had sent").isLessThan(1L << 30);
        assertThat(tunnel.callerGet("/after-cancel").statusCode()).as("the tunnel after the RESET").isEqualTo(200);
        assertPeerSawNoViolation();
    }

    @Test
    void serverShutdownSendsGoawayAndClosesTheTunnelNormally() throws Exception {
        startPeer("server-stop");
        assertThat(tunnel.callerGet("/before-stop").statusCode()).isEqualTo(200);

        tunnel.tunnelServer().stop(Duration.ofSeconds(5));

        JsonNode goaway = peer.await("goaway", e -> true, WAIT);
        assertThat(goaway.path("last_stream_id").asLong()).as("the agent opened no stream").isZero();
        JsonNode closed = peer.await("closed", e -> true, WAIT);
        assertThat(closed.path("code").asInt()).as("close code").isEqualTo(1001);
        assertThat(peer.awaitExit(WAIT)).as("peer exit status; %s", peer.describe()).isZero();
        assertThat(peer.events("error")).isEmpty();
    }

    @Test
    void peerGoawayEndsItsTunnelAndTheServerForgetsIt() throws Exception {
        startPeer("peer-stop");
        assertThat(tunnel.callerGet("/before-stop").statusCode()).isEqualTo(200);

        peer.terminate(); // SIGTERM: GOAWAY, then close 1001 once no stream is open

        assertThat(peer.awaitExit(WAIT)).as("peer exit status; %s", peer.describe()).isZero();
        assertThat(peer.await("closed", e -> true, WAIT).path("code").asInt()).as("server's close").isEqualTo(1001);
        await().atMost(WAIT).until(() -> tunnel.tunnelServer().agents() == 0);
        assertThat(peer.events("error")).isEmpty();
    }

    /** "count sha256" of the peer's /big body: n bytes, byte i = i % 251. */
    private static String patternCountAndDigest(long n) throws java.io.IOException {
        byte[] block = new byte[251 * 256];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i % 251);
        }
        InputStream pattern = new InputStream() {
            long left = n;
            int pos;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return -1;
                }
                int k = (int) Math.min(Math.min(len, left), block.length - pos);
                System.arraycopy(block, pos, b, off, k);
                pos = (pos + k) % block.length;
                left -= k;
                return k;
            }
        };
        return RawHttp.countAndDigest(pattern);
    }
}
