package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A local response head passes the agent if it fits one REPLY frame and stays within the limits the
 * server puts on request heads (200 fields, 32 KiB per line); HttpClient's own defaults (100 fields,
 * 8 KiB lines) turned ordinary heads that a Go agent passes into 502s. Beyond the limits: a 502.
 */
@Timeout(60)
class AgentResponseHeadLimitsTest {
    private static String fields(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("X-F").append(i).append(": v\r\n");
        }
        return b.toString();
    }

    @Test
    void headsWithManyFieldsOrLongLinesPass() throws Exception {
        String longValue = "a".repeat(20_000);
        try (RawBackend backend = new RawBackend((s, head) -> {
                 String extra = head.startsWith("GET /many ") ? fields(150) : "X-Long: " + longValue + "\r\n";
                 RawBackend.write(s, "HTTP/1.1 200 OK\r\n" + extra + "Content-Length: 2\r\n\r\nok");
             });
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(Harness.get(1, "/many", Headers.EMPTY));
            Harness.Response many = h.collect(1);
            assertThat(many.reply().head().status()).as(many.text()).isEqualTo(200);
            assertThat(many.reply().head().headers().first("X-F149")).isEqualTo("v");
            assertThat(many.text()).isEqualTo("ok");

            h.conn.send(Harness.get(3, "/long", Headers.EMPTY));
            Harness.Response lng = h.collect(3);
            assertThat(lng.reply().head().status()).as(lng.text()).isEqualTo(200);
            assertThat(lng.reply().head().headers().first("X-Long")).isEqualTo(longValue);
        }
    }

    @Test
    void headsBeyondTheLimitsAre502() throws Exception {
        try (RawBackend backend = new RawBackend((s, head) -> {
                 String extra = head.startsWith("GET /many ") ? fields(201) : "X-Long: " + "a".repeat(40_000) + "\r\n";
                 RawBackend.write(s, "HTTP/1.1 200 OK\r\n" + extra + "Content-Length: 2\r\n\r\nok");
             });
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(Harness.get(1, "/many", Headers.EMPTY));
            Harness.Response many = h.collect(1);
            assertThat(many.reply().head().status()).isEqualTo(502);
            assertThat(many.text()).contains("Maximum header count exceeded");

            h.conn.send(Harness.get(3, "/long", Headers.EMPTY));
            Harness.Response lng = h.collect(3);
            assertThat(lng.reply().head().status()).isEqualTo(502);
            assertThat(lng.text()).contains("Maximum line length limit exceeded");
        }
    }
}
