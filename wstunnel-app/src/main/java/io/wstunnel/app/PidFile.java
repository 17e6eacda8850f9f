package io.wstunnel.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** -pidfile: written at start, deleted on exit (also by a shutdown hook as a fallback). */
public final class PidFile implements AutoCloseable {
    private final Path path;

    private PidFile(Path path) {
        this.path = path;
    }

    /** Writes the current PID to {@code path}; null path → a no-op instance. */
    public static PidFile write(Path path) {
        if (path == null) {
            return new PidFile(null);
        }
        try {
            Files.writeString(path, ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UsageException("-pidfile " + path + ": cannot write: " + Main.describeFileError(path, e));
        }
        path.toFile().deleteOnExit();
        return new PidFile(path);
    }

    @Override
    public void close() {
        if (path != null) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // best effort; deleteOnExit is still registered
            }
        }
    }
}
