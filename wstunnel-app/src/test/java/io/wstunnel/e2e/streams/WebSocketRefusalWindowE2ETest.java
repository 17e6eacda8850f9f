package io.wstunnel.e2e.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.protocol.Settings;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A target that refuses a WebSocket upgrade with a body larger than the server's stream window: the
 * agent sends the refusal cut to the window, with a Content-Length that says so, not a broken reply.
 */
@Timeout(60)
class WebSocketRefusalWindowE2ETest {
    private static final int WINDOW = 4096;
    static StreamsFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new StreamsFixture(s -> s.settings(new Settings(WINDOW, 256, 65536, 65536)), a -> a);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void refusalLargerThanTheWindowIsCutToIt() {
        StreamsFixture.Client c = new StreamsFixture.Client(true);
        assertThatThrownBy(() -> f.client.newWebSocketBuilder().buildAsync(f.ws("/long-refusal"), c).join())
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> {
                    var response = ((WebSocketHandshakeException) e).getResponse();
                    assertThat(response.statusCode()).isEqualTo(403);
                    assertThat(response.headers().firstValue("Content-Length")).hasValue(String.valueOf(WINDOW));
                    assertThat((String) response.body()).isEqualTo("x".repeat(WINDOW));
                });
    }
}
