package io.wstunnel.cli;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Requests through the tunnel to WireMock: targets, header rules, transparency, flow control. */
@Timeout(60)
class AgentForwardingTest {
    private WireMockServer wm;

    @BeforeEach
    void startWireMock() {
        wm = Harness.startWireMock();
    }

    @AfterEach
    void stopWireMock() {
        wm.stop();
    }

    private Harness harness(String serverPath, Pattern pattern) throws InterruptedException {
        return new Harness(Settings.DEFAULT, b -> b.server(serverPath == null ? null : Harness.http(wm.port(), serverPath))
                .hostPattern(pattern));
    }

    @Test
    void getThroughServerRewritesHostAndDropsHopByHop() throws Exception {
        wm.stubFor(get(urlEqualTo("/prefix/hello?x=1")).willReturn(aResponse().withStatus(200)
                .withHeader("X-Answer", "yes").withBody("hi")));
        try (Harness h = harness("/prefix", null)) {
            h.conn.send(Harness.get(1, "/hello?x=1", Headers.of("X-Custom", "v", "Keep-Alive", "5",
                    "Proxy-Authorization", "secret", "TE", "trailers", "Host", "srv.example")));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(200);
            assertThat(r.reply().head().headers().first("X-Answer")).isEqualTo("yes");
            assertThat(r.text()).isEqualTo("hi");
        }
        wm.verify(getRequestedFor(urlEqualTo("/prefix/hello?x=1"))
                .withHeader("Host", equalTo("127.0.0.1:" + wm.port()))
                .withHeader("X-Custom", equalTo("v"))
                .withHeader("Keep-Alive", absent())
                .withHeader("Proxy-Authorization", absent())
                .withHeader("TE", absent())
                .withHeader("Accept-Encoding", absent()));
    }

    @Test
    void xHostWithoutRegexpIsRefused() throws Exception {
        try (Harness h = harness("", null)) {
            h.conn.send(Harness.get(1, "/a", Headers.of("X-Host", "http://127.0.0.1:" + wm.port())));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(403);
            assertThat(r.reply().head().headers().first("Content-Type")).startsWith("text/plain");
            assertThat(r.text()).isEqualTo("X-Host header disallowed by wstunnel cli (no -regexp option)");
        }
        assertThat(wm.getAllServeEvents()).isEmpty();
    }

    @Test
    void xHostNotMatchingTheWholeRegexpIsRefused() throws Exception {
        String xHost = "http://127.0.0.1:" + wm.port() + ".evil.com";
        try (Harness h = harness("", Pattern.compile("http://127\\.0\\.0\\.1:\\d+"))) {
            h.conn.send(Harness.get(1, "/a", Headers.of("X-Host", xHost)));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(403);
            assertThat(r.text()).isEqualTo("X-Host header '" + xHost + "' does not match regexp in wstunnel cli");
        }
        assertThat(wm.getAllServeEvents()).isEmpty();
    }

    @Test
    void noXHostAndNoServerIsRefused() throws Exception {
        try (Harness h = harness(null, Pattern.compile(".*"))) {
            h.conn.send(Harness.get(1, "/a", Headers.EMPTY));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(403);
            assertThat(r.text()).isEqualTo("X-Host header required by wstunnel cli (no -server option)");
        }
    }

    @Test
    void allowedXHostWithPathPrefixWinsOverServer() throws Exception {
        wm.stubFor(get(urlEqualTo("/other/a?b=c")).willReturn(aResponse().withStatus(201).withBody("x")));
        try (Harness h = harness("/default", Pattern.compile("http://127\\.0\\.0\\.1:\\d+/other"))) {
            h.conn.send(Harness.get(1, "/a?b=c", Headers.of("X-Host", "http://127.0.0.1:" + wm.port() + "/other")));
            assertThat(h.collect(1).reply().head().status()).isEqualTo(201);
        }
        wm.verify(getRequestedFor(urlEqualTo("/other/a?b=c")).withHeader("X-Host", absent())
                .withHeader("Host", equalTo("127.0.0.1:" + wm.port())));
    }

    @Test
    void connectionRefusedIs502NamingTheError() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(1, "")))) {
            h.conn.send(Harness.get(1, "/x", Headers.EMPTY));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(502);
            assertThat(r.text()).startsWith("wstunnel cli: cannot reach http://127.0.0.1:1/x: ")
                    .containsIgnoringCase("refused");
        }
    }

    @Test
    void redirectIsReturnedNotFollowed() throws Exception {
        wm.stubFor(get(urlEqualTo("/r")).willReturn(aResponse().withStatus(302).withHeader("Location", "/elsewhere")));
        wm.stubFor(get(urlEqualTo("/elsewhere")).willReturn(aResponse().withStatus(200)));
        try (Harness h = harness("", null)) {
            h.conn.send(Harness.get(1, "/r", Headers.EMPTY));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(302);
            assertThat(r.reply().head().headers().first("Location")).isEqualTo("/elsewhere");
        }
        wm.verify(0, getRequestedFor(urlEqualTo("/elsewhere")));
    }

    @Test
    void gzipPassesThroughUntouched() throws Exception {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write("hello hello hello".getBytes(StandardCharsets.UTF_8));
        }
        byte[] zipped = gz.toByteArray();
        wm.stubFor(get(urlEqualTo("/z")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Encoding", "gzip").withBody(zipped)));
        try (Harness h = harness("", null)) {
            h.conn.send(Harness.get(1, "/z", Headers.of("Accept-Encoding", "gzip")));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().headers().first("Content-Encoding")).isEqualTo("gzip");
            assertThat(r.body()).isEqualTo(zipped);
        }
        wm.verify(getRequestedFor(urlEqualTo("/z")).withHeader("Accept-Encoding", equalTo("gzip")));
    }

    @Test
    void headResponseEndsWithReply() throws Exception {
        wm.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withHeader("Content-Length", "42")));
        try (Harness h = harness("", null)) {
            h.conn.send(new Frame.Open(1, StreamKind.HTTP, new RequestHead("HEAD", "/h", "a", "http", Headers.EMPTY), true));
            Frame.Reply reply = h.conn.next(Frame.Reply.class);
            assertThat(reply.endStream()).isTrue();
            assertThat(reply.head().headers().first("Content-Length")).isEqualTo("42");
        }
    }

    @Test
    void postBodyIsStreamedWithinTheAgentWindow() throws Exception {
        int window = 16 * 1024;
        byte[] body = new byte[200_000];
        new Random(1).nextBytes(body);
        wm.stubFor(post(urlEqualTo("/up")).willReturn(aResponse().withStatus(200).withBody("ok")));
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(wm.port(), ""))
                .settings(new Settings(window, 16, 65536, 65536)).maxStreamWindow(window))) { // fixed window: no growth
            h.conn.send(new Frame.Open(1, StreamKind.HTTP, new RequestHead("POST", "/up", "a", "http",
                    Headers.of("Content-Length", Integer.toString(body.length), "Content-Type", "application/octet-stream")), false));
            long credit = window;
            int sent = 0;
            int updates = 0;
            Frame.Reply reply = null;
            while (sent < body.length) {
                if (credit == 0) {
                    Frame f = h.conn.next();
                    if (f instanceof Frame.WindowUpdate w) {
                        credit += w.increment();
                        updates++;
                    } else if (f instanceof Frame.Reply r) {
                        reply = r;
                    }
                    continue;
                }
                int n = (int) Math.min(Math.min(credit, 4096), body.length - sent);
                credit -= n;
                h.conn.send(new Frame.Data(1, ByteBuffer.wrap(body, sent, n), sent + n == body.length));
                sent += n;
            }
            assertThat(updates).isGreaterThanOrEqualTo(body.length / window - 1);
            if (reply == null) {
                Harness.Response r = h.collect(1);
                assertThat(r.reply().head().status()).isEqualTo(200);
            }
        }
        wm.verify(postRequestedFor(urlEqualTo("/up")).withHeader("Content-Length", equalTo(Integer.toString(body.length))));
        assertThat(wm.getAllServeEvents().get(0).getRequest().getBody()).isEqualTo(body);
    }

    @Test
    void responseNeverExceedsTheServerWindowAndPausesUntilUpdate() throws Exception {
        int window = 16 * 1024;
        byte[] big = new byte[1024 * 1024];
        new Random(2).nextBytes(big);
        wm.stubFor(get(urlEqualTo("/big")).willReturn(aResponse().withStatus(200).withBody(big)));
        try (Harness h = new Harness(new Settings(window, 16, 4096, 65536), b -> b.server(Harness.http(wm.port(), "")))) {
            h.conn.send(Harness.get(1, "/big", Headers.EMPTY));
            assertThat(h.conn.next(Frame.Reply.class).head().status()).isEqualTo(200);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            long granted = window;
            boolean checkedPause = false;
            while (true) {
                Frame f = h.conn.next();
                Frame.Data d = (Frame.Data) f;
                assertThat(d.length()).isLessThanOrEqualTo(4096);
                byte[] b = new byte[d.length()];
                d.payload().get(b);
                got.write(b);
                assertThat((long) got.size()).as("bytes sent vs window granted").isLessThanOrEqualTo(granted);
                if (d.endStream()) {
                    break;
                }
                if (got.size() == granted) {
                    if (!checkedPause) {
                        assertThat(h.conn.frames.poll(300, TimeUnit.MILLISECONDS)).as("agent must wait for credit").isNull();
                        checkedPause = true;
                    }
                    h.conn.send(new Frame.WindowUpdate(1, 64 * 1024));
                    granted += 64 * 1024;
                }
            }
            assertThat(checkedPause).isTrue();
            assertThat(got.toByteArray()).isEqualTo(big);
        }
    }

    @Test
    void requestBodyOnRefusedStreamIsDrainedWithCredit() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.settings(new Settings(2048, 16, 65536, 65536)))) {
            h.conn.send(new Frame.Open(1, StreamKind.HTTP, new RequestHead("POST", "/a", "a", "http", Headers.EMPTY), false));
            assertThat(h.collect(1).reply().head().status()).isEqualTo(403);
            h.conn.send(new Frame.Data(1, ByteBuffer.allocate(2048), false));
            Frame.WindowUpdate w = h.conn.next(Frame.WindowUpdate.class);
            assertThat(w.increment()).isEqualTo(2048);
        }
    }

    @Test
    void resetFromServerForUnknownStreamIsIgnored() throws Exception {
        try (Harness h = harness("", null)) {
            h.conn.send(new Frame.Reset(7, ErrorCode.CANCEL, "x"));
            wm.stubFor(get(urlEqualTo("/ok")).willReturn(aResponse().withStatus(204)));
            h.conn.send(Harness.get(9, "/ok", Headers.EMPTY));
            assertThat(h.collect(9).reply().head().status()).isEqualTo(204);
        }
    }

    @Test
    void aStalledStreamDoesNotHoldBackOthers() throws Exception {
        int window = 16 * 1024;
        wm.stubFor(get(urlEqualTo("/big")).willReturn(aResponse().withStatus(200).withBody(new byte[1024 * 1024])));
        wm.stubFor(get(urlEqualTo("/small")).willReturn(aResponse().withStatus(200).withBody("small")));
        try (Harness h = new Harness(new Settings(window, 16, 4096, 65536), b -> b.server(Harness.http(wm.port(), "")))) {
            h.conn.send(Harness.get(1, "/big", Headers.EMPTY));
            int got = 0;
            while (got < window) {
                Frame f = h.conn.next();
                if (f instanceof Frame.Data d) {
                    got += d.length();
                }
            }
            // stream 1 now waits for credit that never comes; stream 3 must still flow
            h.conn.send(Harness.get(3, "/small", Headers.EMPTY));
            Harness.Response r = h.collect(3);
            assertThat(r.text()).isEqualTo("small");
            assertThat(got).isEqualTo(window);
        }
    }

    @Test
    void manyConcurrentStreamsAreMultiplexed() throws Exception {
        int n = 24;
        for (int i = 0; i < n; i++) {
            wm.stubFor(get(urlEqualTo("/n/" + i)).willReturn(aResponse().withStatus(200).withBody("body-" + i)
                    .withFixedDelay(50)));
        }
        try (Harness h = harness("", null)) {
            for (int i = 0; i < n; i++) {
                h.conn.send(Harness.get(2 * i + 1, "/n/" + i, Headers.EMPTY));
            }
            java.util.Map<Integer, StringBuilder> bodies = new java.util.HashMap<>();
            int ended = 0;
            while (ended < n) {
                Frame f = h.conn.next();
                if (f instanceof Frame.Reply r) {
                    assertThat(r.head().status()).isEqualTo(200);
                    bodies.put(r.streamId(), new StringBuilder());
                } else if (f instanceof Frame.Data d) {
                    bodies.get(d.streamId()).append(StandardCharsets.UTF_8.decode(d.payload()));
                    if (d.endStream()) {
                        ended++;
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                assertThat(bodies.get(2 * i + 1).toString()).isEqualTo("body-" + i);
            }
        }
    }
}
