package io.wstunnel.cli.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusFileTest {
    @Test
    void formatMatchesGoRfc3339() {
        Instant t = Instant.parse("2026-11-21T15:14:38.123Z");
        assertThat(StatusFile.format(t, ZoneOffset.UTC)).isEqualTo("Unix: 1795274078\nTime: 2026-11-21T15:14:38Z\n");
        assertThat(StatusFile.format(t, ZoneId.of("Europe/Paris"))).isEqualTo("Unix: 1795274078\nTime: 2026-11-21T16:14:38+01:00\n");
    }

    @Test
    void writeReplacesTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("status");
        Files.writeString(f, "old content that is longer than the new one ...........................");
        StatusFile.write(f, Instant.ofEpochSecond(100), ZoneOffset.UTC);
        assertThat(Files.readString(f)).isEqualTo("Unix: 100\nTime: 1970-01-01T00:01:40Z\n");
        try (var s = Files.list(dir)) {
            assertThat(s.count()).as("no temp file left").isEqualTo(1);
        }
    }
}
