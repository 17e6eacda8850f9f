package io.wstunnel.e2e.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** WebSocket passthrough: a real WebSocket server behind the agent, a JDK WebSocket client in front of the server. */
@Timeout(60)
class WebSocketPassthroughE2ETest {
    static StreamsFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new StreamsFixture(s -> s, a -> a);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    private WebSocket connect(StreamsFixture.Client c, String path, String... subprotocols) {
        WebSocket.Builder b = f.client.newWebSocketBuilder().header("Origin", "https://app.example")
                .header("Cookie", "session=abc123");
        if (subprotocols.length > 0) {
            b.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        return b.buildAsync(f.ws(path), c).join();
    }

    @Test
    void textBinaryOriginCookieAndSubprotocol() throws Exception {
        StreamsFixture.Client c = new StreamsFixture.Client(true);
        WebSocket ws = connect(c, "/echo", "chat.v2");
        assertThat(ws.getSubprotocol()).isEqualTo("chat.v2");
        ws.sendText("hello through the tunnel", true).join();
        assertThat(c.messages.poll(10, TimeUnit.SECONDS)).isEqualTo("hello through the tunnel");
        byte[] bin = new byte[100_000];
        new Random(1).nextBytes(bin);
        ws.sendBinary(ByteBuffer.wrap(bin), true).join();
        assertThat((byte[]) c.messages.poll(10, TimeUnit.SECONDS)).isEqualTo(bin);
        ws.sendText("whoami", true).join();
        assertThat(c.messages.poll(10, TimeUnit.SECONDS)).isEqualTo("origin=https://app.example;cookie=session=abc123");
        ws.sendClose(1000, "done").join();
        assertThat(c.closed.get(10, TimeUnit.SECONDS)).startsWith("1000");
    }

    @Test
    void tenMebibyteMessage() throws Exception {
        StreamsFixture.Client c = new StreamsFixture.Client(true);
        WebSocket ws = connect(c, "/echo");
        byte[] big = new byte[10 << 20];
        new Random(2).nextBytes(big);
        ws.sendBinary(ByteBuffer.wrap(big), true).join();
        Object back = c.messages.poll(40, TimeUnit.SECONDS);
        assertThat(back).isInstanceOf(byte[].class);
        assertThat((byte[]) back).hasSize(big.length).isEqualTo(big);
        ws.sendClose(1000, "").join();
    }

    @Test
    void closeCodesPropagateBothWays() throws Exception {
        StreamsFixture.Client c1 = new StreamsFixture.Client(true);
        WebSocket ws1 = connect(c1, "/echo");
        ws1.sendClose(4000, "client-bye").join();
        assertThat(c1.closed.get(10, TimeUnit.SECONDS)).isEqualTo("4000 client-bye");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> f.backendCloses.contains("4000 client-bye"));

        StreamsFixture.Client c2 = new StreamsFixture.Client(true);
        WebSocket ws2 = connect(c2, "/echo");
        ws2.sendText("close:4001:server-bye", true).join();
        assertThat(c2.closed.get(10, TimeUnit.SECONDS)).isEqualTo("4001 server-bye");
    }

    @Test
    void refusedUpgradeIsAnOrdinaryResponse() {
        StreamsFixture.Client c = new StreamsFixture.Client(true);
        assertThatThrownBy(() -> f.client.newWebSocketBuilder().buildAsync(f.ws("/nows"), c).join())
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> {
                    WebSocketHandshakeException h = (WebSocketHandshakeException) e;
                    assertThat(h.getResponse().statusCode()).isEqualTo(403);
                    assertThat(h.getResponse().body()).asString().contains("no websocket here");
                });
    }

    @Test
    void extensionNegotiationPassesThrough() throws Exception {
        // The JDK client offers no extensions: speak the handshake by hand.
        try (Socket s = new Socket("127.0.0.1", f.server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Token: " + f.token + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head = readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 101");
            assertThat(head.toLowerCase()).contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=")
                    .contains("sec-websocket-extensions: permessage-deflate").contains("upgrade: websocket");
        }
    }

    @Test
    void slowReaderDoesNotBlockOtherStreams() throws Exception {
        StreamsFixture.Client slow = new StreamsFixture.Client(false);
        WebSocket slowWs = connect(slow, "/echo");
        slowWs.sendText("flood:400", true).join(); // 25 MiB toward a client that reads one message
        Thread.sleep(500);
        StreamsFixture.Client fast = new StreamsFixture.Client(true);
        WebSocket fastWs = connect(fast, "/echo");
        long t0 = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            fastWs.sendText("ping " + i, true).join();
            assertThat(fast.messages.poll(10, TimeUnit.SECONDS)).isEqualTo("ping " + i);
        }
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(10_000);
        assertThat(slow.messages.size()).isLessThanOrEqualTo(1);
        fastWs.sendClose(1000, "").join();
        slowWs.abort();
    }

    static String readHead(InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            sb.append((char) c);
            if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return sb.toString();
    }
}
