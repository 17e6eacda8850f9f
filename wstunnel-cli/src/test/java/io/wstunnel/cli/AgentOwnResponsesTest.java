package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.cli.net.AddressPolicy;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Responses the agent makes itself (wstunnel.v2 framing) are plain text that is never sniffed:
 * Content-Type text/plain; charset=utf-8 and X-Content-Type-Options: nosniff, as the server's own.
 */
@Timeout(60)
class AgentOwnResponsesTest {

    private static void assertAgentMade(Harness.Response r, int status, String textStart) {
        assertThat(r.reply().head().status()).isEqualTo(status);
        Headers h = r.reply().head().headers();
        assertThat(h.first("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(h.first("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(h.first("Content-Length")).isEqualTo(String.valueOf(r.body().length));
        assertThat(r.text()).startsWith(textStart);
    }

    @Test
    void xHostRefusalsAreNosniff() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(9, "")))) {
            h.conn.send(Harness.get(1, "/x", Headers.of("X-Host", "http://other.example")));
            assertAgentMade(h.collect(1), 403, "X-Host header disallowed by wstunnel cli (no -regexp option)");
        }
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.hostPattern(Pattern.compile("http://allowed\\.example")))) {
            h.conn.send(Harness.get(1, "/x", Headers.EMPTY));
            assertAgentMade(h.collect(1), 403, "X-Host header required by wstunnel cli (no -server option)");
            h.conn.send(Harness.get(3, "/x", Headers.of("X-Host", "http://other.example")));
            assertAgentMade(h.collect(3), 403, "X-Host header 'http://other.example' does not match regexp");
        }
    }

    @Test
    void ownAnswersToHeadHaveNoBody() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(closedPort, "")))) {
            // a response to HEAD is a REPLY with END_STREAM and no DATA (PROTOCOL.md §3.3); its
            // Content-Length is the GET's
            h.conn.send(new Frame.Open(1, StreamKind.HTTP, new RequestHead("HEAD", "/x", "a", "http",
                    Headers.of("X-Host", "http://other.example")), true));
            Frame.Reply refused = h.conn.next(Frame.Reply.class);
            assertThat(refused.head().status()).isEqualTo(403);
            assertThat(refused.endStream()).isTrue();
            assertThat(refused.body().remaining()).isZero();
            assertThat(refused.head().headers().first("Content-Length"))
                    .isEqualTo(String.valueOf("X-Host header disallowed by wstunnel cli (no -regexp option)".length()));
            h.conn.send(new Frame.Open(3, StreamKind.HTTP, new RequestHead("HEAD", "/x", "a", "http", Headers.EMPTY), true));
            Frame.Reply failed = h.conn.next(Frame.Reply.class);
            assertThat(failed.head().status()).isEqualTo(502);
            assertThat(failed.endStream()).isTrue();
            assertThat(failed.body().remaining()).isZero();
        }
    }

    @Test
    void deniedTargetIsNosniff() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.hostPattern(Pattern.compile("http://127\\.0\\.0\\.2:[0-9]+"))
                .denyRules(AddressPolicy.parse(List.of("127.0.0.2/32"))))) {
            h.conn.send(Harness.get(1, "/x", Headers.of("X-Host", "http://127.0.0.2:9")));
            assertAgentMade(h.collect(1), 403, "X-Host target 127.0.0.2 resolves to a denied address");
        }
    }

    private static Frame.Open upgrade(int id, Headers extra) {
        Headers h = Headers.of("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "13");
        for (io.wstunnel.protocol.Header x : extra.fields()) {
            h = h.with(x.name(), x.value());
        }
        return new Frame.Open(id, StreamKind.WEBSOCKET, new RequestHead("GET", "/ws", "srv.example", "http", h), false);
    }

    @Test
    void webSocketUpgradeRefusalsAndFailuresAreNosniff() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(closedPort, "")))) {
            h.conn.send(upgrade(1, Headers.of("X-Host", "http://other.example")));
            assertAgentMade(h.collect(1), 403, "X-Host header disallowed by wstunnel cli (no -regexp option)");
            h.conn.send(upgrade(3, Headers.EMPTY));
            Harness.Response failed = h.collect(3);
            assertAgentMade(failed, 502, "wstunnel cli: WebSocket target ws://127.0.0.1:" + closedPort + "/ws failed: ");
            assertThat(failed.text()).containsIgnoringCase("connection refused").doesNotContain("java.");
        }
    }

    @Test
    void localFailureIsNosniff() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(closedPort, "")))) {
            h.conn.send(Harness.get(1, "/x", Headers.EMPTY));
            assertAgentMade(h.collect(1), 502, "wstunnel cli: cannot reach http://127.0.0.1:" + closedPort + "/x: ");
        }
    }
}
