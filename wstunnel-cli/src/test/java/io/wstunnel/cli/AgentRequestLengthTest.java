package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An OPEN's Content-Length is the exact request body the server sends (PROTOCOL.md §3.2): a body that
 * ends short or runs past it never reaches the local service as a complete request, and the stream
 * is reset with PROTOCOL_ERROR.
 */
@Timeout(60)
class AgentRequestLengthTest {
    private static final Pattern LENGTH = Pattern.compile("(?i)\r\ncontent-length: *(\\d+)\r\n");

    /**
     * A backend that reads the request body its Content-Length announces: "complete &lt;body&gt;" (and
     * answers 200) when all of it came, "aborted after &lt;n&gt; bytes" when the connection ended first.
     * {@code headSeen} completes when a request head has arrived.
     */
    private static RawBackend backend(CompletableFuture<String> outcome, CountDownLatch headSeen) throws Exception {
        return new RawBackend((s, head) -> {
            headSeen.countDown();
            Matcher m = LENGTH.matcher(head);
            int n = m.find() ? Integer.parseInt(m.group(1)) : 0;
            InputStream in = s.getInputStream();
            byte[] body;
            try {
                body = in.readNBytes(n);
            } catch (SocketTimeoutException e) {
                outcome.complete("stalled");
                return;
            } catch (java.io.IOException e) {
                outcome.complete("aborted (" + e.getMessage() + ")");
                return;
            }
            if (body.length < n) {
                outcome.complete("aborted after " + body.length + " bytes");
                return;
            }
            outcome.complete("complete " + new String(body, StandardCharsets.ISO_8859_1));
            RawBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
    }

    private static RawBackend backend(CompletableFuture<String> outcome) throws Exception {
        return backend(outcome, new CountDownLatch(1));
    }

    private static Frame.Open post(int id, String contentLength) {
        return new Frame.Open(id, StreamKind.HTTP, new RequestHead("POST", "/up", "a", "http",
                Headers.of("Content-Length", contentLength)), false);
    }

    private static java.nio.ByteBuffer ascii(String s) {
        return java.nio.ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aBodyEndingShortOfItsContentLengthIsAbortedAndReset() throws Exception {
        assertAbortedAndReset(new Frame.Data(1, ascii("hello"), true));
    }

    @Test
    void aBodyPastItsContentLengthIsAbortedAndReset() throws Exception {
        assertAbortedAndReset(new Frame.Data(1, ascii("hello"), false), new Frame.Data(1, ascii(" world, and more"), true));
    }

    /** A POST announcing 10 bytes whose body is {@code body}: the local request is aborted, the stream reset. */
    private static void assertAbortedAndReset(Frame.Data... body) throws Exception {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        CountDownLatch headSeen = new CountDownLatch(1);
        try (RawBackend backend = backend(outcome, headSeen);
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(post(1, "10"));
            assertThat(headSeen.await(10, TimeUnit.SECONDS)).as("the local request has started").isTrue();
            for (Frame.Data d : body) {
                h.conn.send(d);
            }
            Harness.Response r = h.collect(1);
            assertThat(r.reply()).isNull();
            assertThat(r.reset()).isNotNull();
            assertThat(r.reset().code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            assertThat(outcome.get(20, TimeUnit.SECONDS)).startsWith("aborted");
        }
    }

    @Test
    void anOpenWhoseHeadBreaksItsContentLengthIsResetAndNeverForwarded() throws Exception {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        try (RawBackend backend = backend(outcome);
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(new Frame.Open(1, StreamKind.HTTP, new RequestHead("POST", "/up", "a", "http",
                    Headers.of("Content-Length", "10")), true)); // END_STREAM: no body, yet 10 bytes announced
            assertThat(h.collect(1).reset().code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            h.conn.send(post(3, "ten"));
            assertThat(h.collect(3).reset().code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            // the first request the backend sees is the next, valid one
            h.conn.send(post(5, "2"));
            h.conn.send(new Frame.Data(5, ascii("ok"), true));
            assertThat(h.collect(5).text()).isEqualTo("ok");
            assertThat(outcome.get(20, TimeUnit.SECONDS)).isEqualTo("complete ok");
        }
    }

    @Test
    void anExactBodyIsForwardedWhole() throws Exception {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        try (RawBackend backend = backend(outcome);
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(post(1, "10"));
            h.conn.send(new Frame.Data(1, ascii("hello"), false));
            h.conn.send(new Frame.Data(1, ascii("world"), false));
            h.conn.send(new Frame.Data(1, ascii(""), true));
            Harness.Response r = h.collect(1);
            assertThat(r.reset()).isNull();
            assertThat(r.text()).isEqualTo("ok");
            assertThat(outcome.get(20, TimeUnit.SECONDS)).isEqualTo("complete helloworld");
        }
    }
}
