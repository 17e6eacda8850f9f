package io.wstunnel.srv;

import static io.wstunnel.srv.DataFrameSizeTest.GENEROUS;
import static io.wstunnel.srv.DataFrameSizeTest.MAX_DATA;
import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.StreamKind;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link DataFrameSizeTest} for the byte streams: several MiB from the caller of a WebSocket
 * passthrough (one large WebSocket frame, written 1 MiB at a time) and of a {@code /_tcp/NAME} stream
 * (1 MiB WebSocket messages, the largest the server accepts) reach an agent that accepts 1 MiB frames
 * and grants a 16 MiB window in DATA frames of at most 64 KiB each, intact.
 */
@Timeout(60)
class StreamDataFrameSizeTest extends ServerPerTest {
    static final String TOKEN = "stream-frame-size-token-0123";
    static final int MIB = 1024 * 1024;

    @Test
    void aWebSocketPassthroughCarriesALargeCallerFrameInDataFramesOfAtMost64KiB() throws Exception {
        byte[] frame = maskedBinaryFrame(pattern(6 * MIB));
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, GENEROUS);
             Socket caller = new Socket("127.0.0.1", server.port())) {
            caller.setSoTimeout(20_000);
            OutputStream out = caller.getOutputStream();
            out.write(("GET /_token/" + TOKEN + "/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();

            Frame.Open open = agent.next(Frame.Open.class);
            assertThat(open.kind()).isEqualTo(StreamKind.WEBSOCKET);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(101, "Switching Protocols",
                    Headers.of("Connection", "Upgrade", "Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")), false));
            assertThat(head(caller.getInputStream())).startsWith("HTTP/1.1 101");

            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> write(out, frame));
            assertThat(receive(agent, open.streamId(), frame.length)).isEqualTo(frame);
            sent.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTcpStreamCarriesLargeCallerMessagesInDataFramesOfAtMost64KiB() throws Exception {
        byte[] bytes = pattern(6 * MIB);
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, GENEROUS)) {
            CompletableFuture<WebSocket> connecting = HttpClient.newHttpClient().newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/_token/" + TOKEN + "/_tcp/big"),
                            new WebSocket.Listener() { });
            Frame.Open open = agent.next(Frame.Open.class);
            assertThat(open.kind()).isEqualTo(StreamKind.TCP);
            assertThat(open.head().target()).isEqualTo("big");
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "", Headers.EMPTY), false));
            WebSocket caller = connecting.get(10, TimeUnit.SECONDS);
            try {
                CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                    for (int off = 0; off < bytes.length; off += MIB) { // one send in flight at a time
                        caller.sendBinary(ByteBuffer.wrap(bytes, off, MIB), true).join();
                    }
                });
                assertThat(receive(agent, open.streamId(), bytes.length)).isEqualTo(bytes);
                sent.get(10, TimeUnit.SECONDS);
            } finally {
                caller.abort();
            }
        }
    }

    /** DATA of the stream until {@code total} bytes, each payload checked; other frames are skipped. */
    private static byte[] receive(FrameAgent agent, int streamId, int total) throws InterruptedException {
        ByteArrayOutputStream got = new ByteArrayOutputStream(total);
        int frames = 0;
        while (got.size() < total) {
            Frame.Data d = agent.next(Frame.Data.class);
            assertThat(d.streamId()).isEqualTo(streamId);
            assertThat(d.endStream()).as("the caller has not ended").isFalse();
            frames++;
            assertThat(d.length()).as("payload of DATA frame %d", frames).isLessThanOrEqualTo(MAX_DATA);
            byte[] b = new byte[d.length()];
            d.payload().get(b);
            got.writeBytes(b);
        }
        return got.toByteArray();
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >> 16));
        }
        return b;
    }

    /** One final, masked binary WebSocket frame (RFC 6455 §5.2) with a 64-bit length. */
    private static byte[] maskedBinaryFrame(byte[] payload) {
        byte[] mask = {0x12, 0x34, 0x56, 0x78};
        ByteBuffer f = ByteBuffer.allocate(14 + payload.length);
        f.put((byte) 0x82).put((byte) (0x80 | 127)).putLong(payload.length).put(mask);
        for (int i = 0; i < payload.length; i++) {
            f.put((byte) (payload[i] ^ mask[i & 3]));
        }
        return f.array();
    }

    /** {@code bytes} in 1 MiB writes. */
    private static void write(OutputStream out, byte[] bytes) {
        try {
            for (int off = 0; off < bytes.length; off += MIB) {
                out.write(bytes, off, Math.min(MIB, bytes.length - off));
            }
            out.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The response head, up to and including its blank line. */
    private static String head(InputStream in) throws java.io.IOException {
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
}
