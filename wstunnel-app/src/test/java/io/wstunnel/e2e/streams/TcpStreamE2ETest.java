package io.wstunnel.e2e.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Raw TCP through /_tcp/&lt;name&gt;: a TCP echo target behind the agent, JDK WebSocket clients in front. */
@Timeout(90)
class TcpStreamE2ETest {
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

    private static WebSocket open(StreamsFixture.Client c, String name) {
        return f.client.newWebSocketBuilder().buildAsync(f.ws("/_tcp/" + name), c).join();
    }

    /** Collects bytes until {@code n} arrived. */
    private static byte[] receive(StreamsFixture.Client c, int n) throws InterruptedException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        while (out.size() < n) {
            Object m = c.messages.poll(20, TimeUnit.SECONDS);
            assertThat(m).as("message after %d of %d bytes", out.size(), n).isInstanceOf(byte[].class);
            out.writeBytes((byte[]) m);
        }
        return out.toByteArray();
    }

    @Test
    void echoAndCloseWhenTheClientLeaves() throws Exception {
        StreamsFixture.Client c = new StreamsFixture.Client(true);
        WebSocket ws = open(c, "echo");
        ws.sendBinary(ByteBuffer.wrap("hello tcp".getBytes(StandardCharsets.UTF_8)), true).join();
        assertThat(new String(receive(c, 9), StandardCharsets.UTF_8)).isEqualTo("hello tcp");
        ws.sendText("text goes as its bytes", true).join();
        assertThat(new String(receive(c, 22), StandardCharsets.UTF_8)).isEqualTo("text goes as its bytes");
        assertThat(f.tcpEcho.openConnections()).isEqualTo(1);
        ws.sendClose(1000, "bye").join();
        await().atMost(Duration.ofSeconds(10)).until(() -> f.tcpEcho.openConnections() == 0);
    }

    @Test
    void fiftyConcurrentConnections() throws Exception {
        int n = 50;
        List<StreamsFixture.Client> clients = new ArrayList<>();
        List<CompletableFuture<WebSocket>> sockets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StreamsFixture.Client c = new StreamsFixture.Client(true);
            clients.add(c);
            sockets.add(f.client.newWebSocketBuilder().buildAsync(f.ws("/_tcp/echo"), c));
        }
        for (int i = 0; i < n; i++) {
            WebSocket ws = sockets.get(i).get(20, TimeUnit.SECONDS);
            byte[] payload = new byte[20_000];
            java.util.Arrays.fill(payload, (byte) i);
            ws.sendBinary(ByteBuffer.wrap(payload), true).join();
        }
        for (int i = 0; i < n; i++) {
            byte[] back = receive(clients.get(i), 20_000);
            assertThat(back).hasSize(20_000);
            final byte expected = (byte) i;
            for (byte b : back) {
                assertThat(b).isEqualTo(expected);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> f.tcpEcho.openConnections() >= n);
        for (CompletableFuture<WebSocket> s : sockets) {
            s.get().sendClose(1000, "").join();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> f.tcpEcho.openConnections() == 0);
    }

    @Test
    void refusedTargetGivesAClearCloseReason() throws Exception {
        StreamsFixture.Client c = new StreamsFixture.Client(true);
        open(c, "closed");
        String closed = c.closed.get(20, TimeUnit.SECONDS);
        assertThat(closed).startsWith("1011 tcp target refused: connect to 127.0.0.1:").contains("refused");
    }

    @Test
    void unknownNameIsRefusedClearly() throws Exception {
        StreamsFixture.Client c = new StreamsFixture.Client(true);
        open(c, "nope");
        assertThat(c.closed.get(20, TimeUnit.SECONDS)).startsWith("1011 tcp target refused: unknown tcp target 'nope'")
                .contains("closed, echo");
    }

    @Test
    void plainHttpToATcpNameIsA400() throws Exception {
        java.net.http.HttpResponse<String> r = f.client.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(f.http() + "/_token/" + f.token + "/_tcp/echo")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("WebSocket");
    }
}
