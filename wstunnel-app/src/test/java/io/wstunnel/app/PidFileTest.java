package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidFileTest {
    @TempDir
    Path dir;

    @Test
    void writtenAndRemoved() throws Exception {
        Path pid = dir.resolve("x.pid");
        try (PidFile f = PidFile.write(pid)) {
            assertThat(Files.readString(pid)).isEqualTo(ProcessHandle.current().pid() + "\n");
        }
        assertThat(pid).doesNotExist();
    }

    @Test
    void aMissingDirectoryIsNamed() {
        Path pid = dir.resolve("nonexistent").resolve("x.pid");
        assertThatThrownBy(() -> PidFile.write(pid)).isInstanceOf(UsageException.class)
                .hasMessage("-pidfile " + pid + ": cannot write: directory " + dir.resolve("nonexistent")
                        + " does not exist");
    }

    @Test
    void aDirectoryInTheWaySaysSo() {
        assertThatThrownBy(() -> PidFile.write(dir)).isInstanceOf(UsageException.class)
                .hasMessage("-pidfile " + dir + ": cannot write: Is a directory");
    }
}
