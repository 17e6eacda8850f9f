package io.wstunnel.e2e.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.limits.Limits;
import io.wstunnel.srv.limits.ListenerLimits;
import io.wstunnel.srv.streams.StreamRoutes;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An idle WebSocket passthrough outlives the caller read timeout (upgraded connections are exempt from
 * it), and with keep-alive on the server puts PINGs toward the caller while the caller-bound direction
 * is idle; the caller's PONGs go to the target, which ignores them. An idle TCP stream ({@code /_tcp/}) is
 * exempt from the read timeout too.
 */
@Timeout(60)
class WebSocketIdleE2ETest {
    static final Duration WS_TIMEOUT = Duration.ofSeconds(3);
    static final Limits LIMITS = Limits.builder().readTimeout(Duration.ofSeconds(1)).build();
    static StreamsFixture f;
    static long readTimeoutMillis;

    @BeforeAll
    static void start() throws Exception {
        f = new StreamsFixture(s -> s.wsTimeout(WS_TIMEOUT).limits(LIMITS), a -> a);
        readTimeoutMillis = ListenerLimits.effectiveReadTimeoutMillis(
                ServerConfig.builder().wsTimeout(WS_TIMEOUT).limits(LIMITS).build());
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    @AfterEach
    void clearProperty() {
        System.clearProperty(StreamRoutes.WS_PING_PROPERTY);
    }

    /** Whole text messages and the pings seen. */
    static final class Listener implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final AtomicInteger pings = new AtomicInteger();
        private final StringBuilder text = new StringBuilder();

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
            pings.incrementAndGet();
            ws.request(1); // the JDK client answers with a PONG itself
            return null;
        }
    }

    private static void roundTrip(WebSocket ws, Listener l, String text) throws Exception {
        ws.sendText(text, true).get(10, TimeUnit.SECONDS);
        assertThat(l.messages.poll(10, TimeUnit.SECONDS)).isEqualTo(text);
    }

    @Test
    void idlePassthroughOutlivesTheReadTimeout() throws Exception {
        System.setProperty(StreamRoutes.WS_PING_PROPERTY, "0"); // the exemption alone, no keep-alive
        Listener l = new Listener();
        WebSocket ws = f.client.newWebSocketBuilder().buildAsync(f.ws("/echo"), l).get(10, TimeUnit.SECONDS);
        roundTrip(ws, l, "before idling");
        Thread.sleep(readTimeoutMillis + 1500);
        assertThat(ws.isInputClosed()).as("passthrough closed while idle").isFalse();
        roundTrip(ws, l, "after idling");
        assertThat(l.pings.get()).isZero();
        ws.sendClose(1000, "done").get(10, TimeUnit.SECONDS);
    }

    @Test
    void idleTcpStreamOutlivesTheReadTimeout() throws Exception {
        StreamsFixture.Client c = new StreamsFixture.Client(true);
        WebSocket ws = f.client.newWebSocketBuilder().buildAsync(f.ws("/_tcp/echo"), c).get(10, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap(new byte[] {1}), true).get(10, TimeUnit.SECONDS);
        assertThat(c.messages.poll(10, TimeUnit.SECONDS)).isEqualTo(new byte[] {1});
        Thread.sleep(readTimeoutMillis + 1500); // shorter than the TCP keep-alive period (25 s): no PING, no PONG
        assertThat(ws.isInputClosed()).as("tcp stream closed while idle").isFalse();
        ws.sendBinary(ByteBuffer.wrap(new byte[] {2}), true).get(10, TimeUnit.SECONDS);
        assertThat(c.messages.poll(10, TimeUnit.SECONDS)).isEqualTo(new byte[] {2});
        ws.sendClose(1000, "done").get(10, TimeUnit.SECONDS);
    }

    @Test
    void keepAlivePingsReachTheCallerWhileIdle() throws Exception {
        System.setProperty(StreamRoutes.WS_PING_PROPERTY, "700");
        Listener l = new Listener();
        WebSocket ws = f.client.newWebSocketBuilder().buildAsync(f.ws("/echo"), l).get(10, TimeUnit.SECONDS);
        roundTrip(ws, l, "before idling");
        Thread.sleep(readTimeoutMillis + 1500);
        assertThat(l.pings.get()).as("pings while idle").isGreaterThanOrEqualTo(2);
        roundTrip(ws, l, "after idling");
        // busy traffic with large frames interleaved with pings still arrives intact
        for (int i = 0; i < 5; i++) {
            roundTrip(ws, l, "x".repeat(70_000 + i));
            Thread.sleep(300);
        }
        ws.sendClose(1000, "done").get(10, TimeUnit.SECONDS);
        assertThat(f.backendCloses).isNotEmpty();
    }
}
