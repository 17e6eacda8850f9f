package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The agent's log lines about a request (at every level) show its target with query values replaced
 * and no user info, while the caller's own answer still names the full target.
 */
@Timeout(60)
class AgentRequestLogTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.wstunnel.cli");
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private Level previous;
    private int closedPort;

    @BeforeEach
    void capture() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        previous = logger.getLevel();
        events.start();
        logger.addAppender(events);
        logger.setLevel(Level.DEBUG);
        logger.setAdditive(false); // debug lines stay out of the test output
    }

    @AfterEach
    void restore() {
        logger.detachAppender(events);
        logger.setLevel(previous);
        logger.setAdditive(true);
    }

    private List<String> messages() {
        synchronized (events.list) {
            return events.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Test
    void httpRequestLinesShowQueryNamesOnly() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(URI.create("http://user:pw1@127.0.0.1:" + closedPort)))) {
            h.conn.send(Harness.get(1, "/x?access_token=secret1&debug", Headers.EMPTY));
            assertThat(h.collect(1).text())
                    .as("the caller's own query shown, never -server's user info")
                    .startsWith("wstunnel cli: cannot reach http://127.0.0.1:" + closedPort + "/x?access_token=secret1&debug: ");
            h.conn.send(Harness.get(3, "/y?password=secret2", Headers.of("X-Host", "http://other.example")));
            assertThat(h.collect(3).reply().head().status()).isEqualTo(403);
        }
        assertThat(messages()).contains("Stream 3: GET /y?password=... refused: X-Host header disallowed by wstunnel cli (no -regexp option)")
                .anySatisfy(m -> assertThat(m).startsWith("Stream 1: wstunnel cli: cannot reach http://127.0.0.1:"
                        + closedPort + "/x?access_token=...&debug: "))
                .allSatisfy(m -> assertThat(m).doesNotContain("secret1", "secret2", "pw1"));
    }

    @Test
    void webSocketUpgradeLinesShowQueryNamesOnly() throws Exception {
        Headers h = Headers.of("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "13");
        try (Harness harness = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(closedPort, "")))) {
            harness.conn.send(new Frame.Open(1, StreamKind.WEBSOCKET,
                    new RequestHead("GET", "/ws?ticket=secret3", "srv.example", "http", h), false));
            assertThat(harness.collect(1).text()).startsWith("wstunnel cli: WebSocket target ws://127.0.0.1:" + closedPort
                    + "/ws?ticket=secret3 failed: ");
        }
        assertThat(messages()).anySatisfy(m -> assertThat(m)
                        .startsWith("Stream 1: WebSocket upgrade toward ws://127.0.0.1:" + closedPort + "/ws?ticket=... failed: "))
                .allSatisfy(m -> assertThat(m).doesNotContain("secret3"));
    }
}
