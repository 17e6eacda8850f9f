package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.wstunnel.cli.tunnel.Connector;
import io.wstunnel.protocol.Settings;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A tunnel that cannot be dialed is logged in one WARN line that says why, with no stack trace. */
@Timeout(60)
class AgentDialFailureLogTest {
    @TempDir
    Path dir;

    /** The agent's first "Cannot connect" WARN while dialing {@code config}'s tunnel. */
    private static ILoggingEvent firstDialWarning(AgentConfig config) {
        Logger logger = (Logger) LoggerFactory.getLogger(Connector.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        try (Agent a = Agent.start(config)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> !dialWarnings(events).isEmpty());
        } finally {
            logger.detachAppender(events);
        }
        ILoggingEvent e = dialWarnings(events).get(0);
        assertThat(e.getThrowableProxy()).as("no stack trace").isNull();
        return e;
    }

    private static List<ILoggingEvent> dialWarnings(ListAppender<ILoggingEvent> events) {
        synchronized (events.list) {
            return events.list.stream().filter(e -> e.getLevel() == Level.WARN
                    && e.getFormattedMessage().startsWith("Cannot connect")).collect(Collectors.toList());
        }
    }

    private static AgentConfig.Builder agent(URI tunnel) {
        return AgentConfig.builder().tunnel(tunnel).token(Harness.TOKEN).maxBackoff(Duration.ofMillis(500));
    }

    @Test
    void refusedConnectionSaysConnectionRefused() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ILoggingEvent e = firstDialWarning(agent(URI.create("ws://127.0.0.1:" + port)).build());
        assertThat(e.getFormattedMessage()).isEqualTo("Cannot connect to ws://127.0.0.1:" + port + "/_tunnel: 127.0.0.1:"
                + port + ": Connection refused");
    }

    @Test
    void refusedProxyIsNamedAsTheProxy() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ILoggingEvent e = firstDialWarning(agent(URI.create("ws://srv.example:8080"))
                .proxy(URI.create("http://127.0.0.1:" + port)).build());
        assertThat(e.getFormattedMessage()).isEqualTo("Cannot connect to ws://srv.example:8080/_tunnel: proxy 127.0.0.1:"
                + port + ": Connection refused");
    }

    @Test
    void silentServerTimesOutAfterTheDialTimeout() throws Exception {
        // connections complete in the backlog; no handshake is ever answered
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ILoggingEvent e = firstDialWarning(agent(URI.create("ws://127.0.0.1:" + silent.getLocalPort()))
                    .dialTimeout(Duration.ofMillis(700)).build());
            assertThat(e.getFormattedMessage()).isEqualTo("Cannot connect to ws://127.0.0.1:" + silent.getLocalPort()
                    + "/_tunnel: timed out after 700 ms");
        }
    }

    @Test
    void untrustedCertificateNamesTheTlsFailure() throws Exception {
        TestCerts certs = TestCerts.create(dir, "ip", "ip:127.0.0.1");
        try (FakeServer server = new FakeServer("", Settings.DEFAULT, certs.serverContext())) {
            ILoggingEvent e = firstDialWarning(agent(server.uri("")).build());
            assertThat(e.getFormattedMessage()).startsWith("Cannot connect to " + server.uri("") + "/_tunnel: ")
                    .contains("PKIX path building failed").contains("unable to find valid certification path")
                    .doesNotContain("Exception");
        }
    }
}
