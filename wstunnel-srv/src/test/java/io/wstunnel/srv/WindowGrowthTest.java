package io.wstunnel.srv;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.srv.limits.Limits;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Receive-window auto-tuning (PROTOCOL.md §3.6.1) on real sockets: the agent reaches the server over
 * a path with a 100 ms round trip, the caller reads as fast as it can.
 */
@Timeout(60)
class WindowGrowthTest {
    static final String TOKEN = "test-token-0123456789";
    static final int BODY = 8 * 1024 * 1024;

    /** Streams BODY bytes as fast as the server's credit allows; returns the largest credit held at once. */
    private static long download(Limits limits) throws Exception {
        TunnelServer server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .httpTimeout(Duration.ofSeconds(30)).limits(limits).build());
        try (DelayProxy path = new DelayProxy(server.port(), 50);
             FrameAgent agent = FrameAgent.connect(path.port(), TOKEN, Settings.DEFAULT)) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            CompletableFuture<HttpResponse<byte[]>> resp = http.sendAsync(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/big")).header("X-Token", TOKEN).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            Frame.Open open = agent.next(Frame.Open.class);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "OK", Headers.EMPTY), false));
            long credit = server.config().settings().initialWindow();
            long most = credit;
            byte[] chunk = new byte[64 * 1024];
            int sent = 0;
            while (sent < BODY) {
                while (credit >= chunk.length && sent < BODY) {
                    agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(chunk), false));
                    credit -= chunk.length;
                    sent += chunk.length;
                }
                if (sent < BODY) {
                    Frame.WindowUpdate wu = agent.next(Frame.WindowUpdate.class);
                    assertThat(wu.streamId()).isEqualTo(open.streamId());
                    credit += wu.increment();
                    most = Math.max(most, credit);
                }
            }
            agent.send(new Frame.Data(open.streamId(), ByteBuffer.allocate(0), true));
            HttpResponse<byte[]> r = resp.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).hasSize(BODY);
            return most;
        } finally {
            server.stop(Duration.ZERO);
        }
    }

    @Test
    void aFastCallerOnALongPathGrowsTheWindowBeyondTheInitialOne() throws Exception {
        int initial = Settings.DEFAULT.initialWindow();
        // credit held at once can only pass the initial window if the server grew the window
        assertThat(download(Limits.DEFAULT)).isGreaterThan(initial).isLessThanOrEqualTo(Limits.DEFAULT.maxStreamWindow());
    }

    @Test
    void withGrowthTurnedOffTheCreditNeverPassesTheInitialWindow() throws Exception {
        int initial = Settings.DEFAULT.initialWindow();
        assertThat(download(Limits.builder().maxStreamWindow(initial).build())).isEqualTo(initial);
    }
}
