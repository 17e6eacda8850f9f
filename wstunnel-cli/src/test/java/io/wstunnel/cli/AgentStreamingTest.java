package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.Settings;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Byte-level backends: streaming bodies, cancellation and local failures. */
@Timeout(60)
class AgentStreamingTest {

    @Test
    void chunksReachTheServerAsTheBackendProducesThem() throws Exception {
        CountDownLatch finished = new CountDownLatch(1);
        try (RawBackend backend = new RawBackend((s, head) -> {
                RawBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
                for (int i = 0; i < 5; i++) {
                    RawBackend.write(s, "7\r\ndata: " + i + "\r\n");
                    Thread.sleep(200);
                }
                RawBackend.write(s, "0\r\n\r\n");
                finished.countDown();
            });
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(Harness.get(1, "/events", Headers.EMPTY));
            Frame.Reply reply = h.conn.next(Frame.Reply.class);
            assertThat(reply.head().headers().contains("Transfer-Encoding")).isFalse();
            Frame.Data first = h.conn.next(Frame.Data.class);
            assertThat(first.length()).isGreaterThan(0);
            assertThat(finished.getCount()).as("first DATA arrives while the backend is still writing").isEqualTo(1);
            StringBuilder all = new StringBuilder(StandardCharsets.UTF_8.decode(first.payload()));
            for (boolean end = first.endStream(); !end; ) {
                Frame.Data d = h.conn.next(Frame.Data.class);
                all.append(StandardCharsets.UTF_8.decode(d.payload()));
                end = d.endStream();
            }
            assertThat(all.toString()).isEqualTo("data: 0data: 1data: 2data: 3data: 4");
        }
    }

    @Test
    void aChunkedResponseThatAlsoNamesAContentLengthIsRelayedWithoutIt() throws Exception {
        // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, which a proxy must then drop. Kept,
        // it promised the caller 5 bytes of a 2-byte body: a broken response.
        try (RawBackend backend = new RawBackend((s, head) -> RawBackend.write(s,
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"));
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(Harness.get(1, "/both", Headers.EMPTY));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().headers().contains("Content-Length")).as(r.reply().head().toString()).isFalse();
            assertThat(r.reset()).isNull();
            assertThat(r.text()).isEqualTo("ok");
        }
    }

    @Test
    void resetFromServerAbortsTheBackendRequest() throws Exception {
        CountDownLatch backendSawClose = new CountDownLatch(1);
        try (RawBackend backend = new RawBackend((s, head) -> {
                RawBackend.write(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
                InputStream in = s.getInputStream();
                try {
                    if (in.read() < 0) {
                        backendSawClose.countDown();
                    }
                } catch (SocketTimeoutException e) {
                    // not closed in time: the test fails on the latch
                } catch (java.io.IOException e) {
                    backendSawClose.countDown(); // reset by peer
                }
            });
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(Harness.get(1, "/long", Headers.EMPTY));
            h.conn.next(Frame.Reply.class);
            h.conn.next(Frame.Data.class);
            h.conn.send(new Frame.Reset(1, ErrorCode.CANCEL, "caller went away"));
            assertThat(backendSawClose.await(10, TimeUnit.SECONDS)).as("backend connection closed").isTrue();
        }
    }

    @Test
    void backendDyingMidBodyResetsTheStream() throws Exception {
        try (RawBackend backend = new RawBackend((s, head) ->
                RawBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789"));
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(Harness.get(1, "/dies", Headers.EMPTY));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(200);
            assertThat(r.reset()).as("stream reset").isNotNull();
            assertThat(r.reset().code()).isEqualTo(ErrorCode.UPSTREAM_ERROR);
        }
    }

    @Test
    void slowHeadIs502AfterTheResponseTimeoutButSlowBodyIsNotCut() throws Exception {
        AtomicBoolean first = new AtomicBoolean(true);
        try (RawBackend backend = new RawBackend((s, head) -> {
                if (head.contains("/slowhead")) {
                    Thread.sleep(3000);
                    return;
                }
                RawBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
                Thread.sleep(1500); // longer than the response timeout: the body must survive
                RawBackend.write(s, "cd");
            });
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), ""))
                     .localResponseTimeout(Duration.ofMillis(700)))) {
            h.conn.send(Harness.get(1, "/slowhead", Headers.EMPTY));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(502);
            assertThat(r.text()).contains("no response within 700 ms");
            h.conn.send(Harness.get(3, "/slowbody", Headers.EMPTY));
            Harness.Response ok = h.collect(3);
            assertThat(ok.reset()).isNull();
            assertThat(ok.text()).isEqualTo("abcd");
        }
        assertThat(first).isNotNull();
    }

    @Test
    void chunkedRequestBodyIsStreamedBeforeItEnds() throws Exception {
        CountDownLatch gotFirstChunk = new CountDownLatch(1);
        try (RawBackend backend = new RawBackend((s, head) -> {
                assertThat(head).containsIgnoringCase("transfer-encoding: chunked");
                InputStream in = s.getInputStream();
                byte[] buf = new byte[64];
                int n = in.read(buf);
                if (n > 0 && new String(buf, 0, n, StandardCharsets.ISO_8859_1).contains("part1")) {
                    gotFirstChunk.countDown();
                }
                while (!new String(buf, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1).contains("0\r\n\r\n")) {
                    n = in.read(buf);
                    if (n < 0) {
                        return;
                    }
                }
                RawBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            });
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(new Frame.Open(1, io.wstunnel.protocol.StreamKind.HTTP,
                    new io.wstunnel.protocol.RequestHead("POST", "/up", "a", "http", Headers.EMPTY), false));
            h.conn.send(new Frame.Data(1, StandardCharsets.UTF_8.encode("part1"), false));
            assertThat(gotFirstChunk.await(10, TimeUnit.SECONDS)).as("backend got the first part before the end").isTrue();
            h.conn.send(new Frame.Data(1, StandardCharsets.UTF_8.encode("part2"), true));
            assertThat(h.collect(1).text()).isEqualTo("ok");
        }
    }

    @Test
    void responseHeadTooLargeForTheServerIs502AndTheTunnelSurvives() throws Exception {
        // 12 headers of 6000 bytes: each line within HttpClient's limits, the whole head above 64 KiB
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            many.append("X-H").append(i).append(": ").append("x".repeat(6000)).append("\r\n");
        }
        try (RawBackend backend = new RawBackend((s, head) -> RawBackend.write(s, head.contains("/huge")
                ? "HTTP/1.1 200 OK\r\n" + many + "Content-Length: 0\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(Harness.get(1, "/huge", Headers.EMPTY));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(502);
            assertThat(r.text()).contains("response head too large");
            h.conn.send(Harness.get(3, "/fine", Headers.EMPTY));
            assertThat(h.collect(3).text()).isEqualTo("ok");
        }
    }
}
