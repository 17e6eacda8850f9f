package io.wstunnel.cli.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.wstunnel.cli.AgentConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class StatusFileTest {
    @TempDir
    Path dir;

    @Test
    void formatMatchesGoRfc3339() {
        Instant t = Instant.parse("2026-11-21T15:14:38.123Z");
        assertThat(StatusFile.format(t, ZoneOffset.UTC)).isEqualTo("Unix: 1795274078\nTime: 2026-11-21T15:14:38Z\n");
        assertThat(StatusFile.format(t, ZoneId.of("Europe/Paris"))).isEqualTo("Unix: 1795274078\nTime: 2026-11-21T16:14:38+01:00\n");
    }

    @Test
    void writeReplacesTheFile() throws Exception {
        Path f = dir.resolve("status");
        Files.writeString(f, "old content that is longer than the new one ...........................");
        StatusFile.write(f, Instant.ofEpochSecond(100), ZoneOffset.UTC);
        assertThat(Files.readString(f)).isEqualTo("Unix: 100\nTime: 1970-01-01T00:01:40Z\n");
        try (var s = Files.list(dir)) {
            assertThat(s.count()).as("no temp file left").isEqualTo(1);
        }
    }

    @Test
    void checkWritableSaysWhyAndWritesNothing() throws IOException {
        StatusFile.checkWritable(dir.resolve("status"));
        try (var s = Files.list(dir)) {
            assertThat(s).isEmpty();
        }
        assertThatThrownBy(() -> StatusFile.checkWritable(dir)).hasMessage("is a directory");
        assertThatThrownBy(() -> StatusFile.checkWritable(dir.resolve("gone/status")))
                .hasMessage("directory " + dir.resolve("gone") + " does not exist");
        // /proc passes every permission check for root, yet nothing can be created in it
        assertThatThrownBy(() -> StatusFile.checkWritable(Path.of("/proc/st")))
                .hasMessageStartingWith("cannot create /proc/st.tmp: ");
    }

    @Test
    void aFailingStatusFileIsLoggedOnceThenOnlyWhenThatChanges() throws IOException {
        Path run = dir.resolve("run");
        Path file = run.resolve("status");
        AgentConfig config = AgentConfig.builder().tunnel(URI.create("ws://srv.example")).token("0123456789abcdef")
                .statusFile(file).build();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger logger = (Logger) LoggerFactory.getLogger(StatusFile.class);
        Level before = logger.getLevel();
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        root.addAppender(events);
        logger.setLevel(Level.INFO);
        try {
            KeepAlive session1 = new KeepAlive(config, Runnable::run, "srv", why -> { });
            session1.pong();
            session1.pong();
            session1.pong();
            // a reconnect: a new session's keep-alive, same file, still failing
            KeepAlive session2 = new KeepAlive(config, Runnable::run, "srv", why -> { });
            session2.pong();
            assertThat(messages(events)).singleElement().satisfies(m -> assertThat(m)
                    .isEqualTo("WARN Cannot write status file " + file
                            + ": no such file or directory (not logged again until it can be written)"));

            Files.createDirectory(run);
            session2.pong();
            session2.pong();
            assertThat(file).exists();
            assertThat(messages(events)).hasSize(2).last().isEqualTo("INFO Status file " + file + " written again");

            Files.delete(file);
            Files.delete(run);
            session2.pong();
            session2.pong();
            assertThat(messages(events)).hasSize(3).last().asString().startsWith("WARN Cannot write status file");
        } finally {
            root.detachAppender(events);
            logger.setLevel(before);
        }
    }

    private static List<String> messages(ListAppender<ILoggingEvent> events) {
        return events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO)
                        && e.getFormattedMessage().toLowerCase(java.util.Locale.ROOT).contains("status file"))
                .map(e -> e.getLevel() + " " + e.getFormattedMessage()).collect(Collectors.toList());
    }
}
