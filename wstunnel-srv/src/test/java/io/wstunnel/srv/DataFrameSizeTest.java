package io.wstunnel.srv;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.Settings;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The server never sends an agent a DATA frame over 64 KiB, even to an agent that accepts far larger
 * ones and grants credit for the whole body: a caller uploads several MiB in 1 MiB writes, and every
 * DATA payload the agent receives is checked.
 */
class DataFrameSizeTest extends ServerPerTest {
    static final String TOKEN = "frame-size-token-0123456789";
    static final int MAX_DATA = 64 * 1024;
    static final int BODY = 6 * 1024 * 1024;
    /** What the agent announces: a 16 MiB window and 1 MiB frames, so neither is what limits DATA. */
    static final Settings GENEROUS = new Settings(16 * 1024 * 1024, 16, 1024 * 1024, 64 * 1024);

    @Test
    void aBodyWithContentLengthGoesInDataFramesOfAtMost64KiB() throws Exception {
        upload(false);
    }

    @Test
    void aChunkedBodyGoesInDataFramesOfAtMost64KiB() throws Exception {
        upload(true);
    }

    private void upload(boolean chunked) throws Exception {
        byte[] body = new byte[BODY];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31 + (i >> 16));
        }
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, GENEROUS);
             Socket caller = new Socket("127.0.0.1", server.port())) {
            caller.setSoTimeout(20_000);
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> send(caller, body, chunked));

            Frame.Open open = agent.next(Frame.Open.class);
            assertThat(open.endStream()).isFalse();
            ByteArrayOutputStream got = new ByteArrayOutputStream(BODY);
            int frames = 0;
            while (true) {
                Frame.Data d = agent.next(Frame.Data.class);
                frames++;
                assertThat(d.length()).as("payload of DATA frame %d", frames).isLessThanOrEqualTo(MAX_DATA);
                byte[] b = new byte[d.length()];
                d.payload().get(b);
                got.writeBytes(b);
                if (d.endStream()) {
                    break;
                }
            }
            assertThat(got.size()).isEqualTo(BODY);
            assertThat(got.toByteArray()).isEqualTo(body);
            sent.get(10, TimeUnit.SECONDS);

            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(204, "", Headers.EMPTY), true));
            assertThat(statusLine(caller.getInputStream())).isEqualTo("HTTP/1.1 204 No Content");
        }
    }

    /** The request, its body in 1 MiB writes (1 MiB chunks when chunked). */
    private void send(Socket caller, byte[] body, boolean chunked) {
        try {
            OutputStream out = caller.getOutputStream();
            String framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + body.length;
            out.write(("POST /_token/" + TOKEN + "/up HTTP/1.1\r\nHost: 127.0.0.1\r\n" + framing + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            int step = 1024 * 1024;
            for (int off = 0; off < body.length; off += step) {
                int n = Math.min(step, body.length - off);
                if (chunked) {
                    out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                }
                out.write(body, off, n);
                if (chunked) {
                    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
            }
            if (chunked) {
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            out.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String statusLine(InputStream in) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
            line.append((char) b);
        }
        return line.toString().strip();
    }
}
