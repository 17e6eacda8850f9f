package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.wstunnel.protocol.Settings;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** -insecure logs one loud WARN when the agent starts, covering the tunnel and local https targets. */
@Timeout(30)
class AgentInsecureWarningTest {

    private static List<ILoggingEvent> warningsDuringStart(boolean insecure) throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        root.addAppender(events);
        try (FakeServer server = new FakeServer("", Settings.DEFAULT);
             Agent a = Agent.start(AgentConfig.builder().tunnel(server.uri("")).token(Harness.TOKEN)
                     .insecure(insecure).maxBackoff(Duration.ofMillis(500)).build())) {
            assertThat(a.awaitConnected(Duration.ofSeconds(10))).isTrue();
        } finally {
            root.detachAppender(events);
        }
        return events.list.stream()
                .filter(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("-insecure"))
                .collect(Collectors.toList());
    }

    @Test
    void insecureWarnsOnceAndLoudly() throws Exception {
        List<ILoggingEvent> warnings = warningsDuringStart(true);
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0).getFormattedMessage())
                .startsWith("**********")
                .contains("TLS certificates are NOT verified")
                .contains("local https targets")
                .contains("-certfile");
    }

    @Test
    void noWarningWithoutInsecure() throws Exception {
        assertThat(warningsDuringStart(false)).isEmpty();
    }
}
