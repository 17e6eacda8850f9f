package io.wstunnel.cli.tunnel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The -statusfile: "Unix: &lt;epoch&gt;\nTime: &lt;RFC3339&gt;\n" as the Go agent writes it, replaced
 * atomically (written to a ".tmp" sibling, then moved over it).
 *
 * <p>One instance per file ({@link #at}), shared by the agent's successive tunnel sessions, so that a
 * file that cannot be written is reported once, and then only when that changes: a WARN when writing
 * starts failing, an INFO when it works again, nothing for the writes in between.
 */
public final class StatusFile {
    private static final Logger log = LoggerFactory.getLogger(StatusFile.class);
    /** Go's time.RFC3339: seconds precision, "Z" for UTC, "+hh:mm" otherwise. */
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");
    /** One per absolute path: an agent has one -statusfile, so this holds a handful at most. */
    private static final ConcurrentMap<Path, StatusFile> BY_PATH = new ConcurrentHashMap<>();

    private final Path file;
    // guarded by this
    private boolean failing;

    private StatusFile(Path file) {
        this.file = file;
    }

    /** The writer of {@code file}, the same for every caller naming the same file. */
    public static StatusFile at(Path file) {
        return BY_PATH.computeIfAbsent(file.toAbsolutePath().normalize(), StatusFile::new);
    }

    /** Writes the file with the time {@code now}; failures are logged on a change of state only. */
    public synchronized void update(Instant now, ZoneId zone) {
        try {
            write(file, now, zone);
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                failing = true;
                log.warn("Cannot write status file {}: {} (not logged again until it can be written)", file, reason(e));
            } else {
                log.debug("Cannot write status file {}: {}", file, reason(e));
            }
            return;
        }
        if (failing) {
            failing = false;
            log.info("Status file {} written again", file);
        }
    }

    public static String format(Instant now, ZoneId zone) {
        return "Unix: " + now.getEpochSecond() + "\nTime: " + RFC3339.format(now.atZone(zone)) + "\n";
    }

    public static void write(Path file, Instant now, ZoneId zone) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = temporary(abs);
        Files.writeString(tmp, format(now, zone), StandardCharsets.UTF_8);
        try {
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Checks at start that {@link #write} can work, without writing the file itself (a fresh file
     * says the tunnel is up): creates and deletes the temporary sibling. Directory permissions alone
     * cannot tell (root passes every permission check, even in /proc).
     *
     * @throws IOException saying why not
     */
    public static void checkWritable(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            throw new IOException("is a directory");
        }
        Path parent = abs.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IOException("directory " + parent + " does not exist");
        }
        Path tmp = temporary(abs);
        try {
            Files.writeString(tmp, "", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot create " + tmp + ": " + reason(e), e);
        }
        Files.deleteIfExists(tmp);
    }

    private static Path temporary(Path abs) {
        return abs.resolveSibling(abs.getFileName() + ".tmp");
    }

    /** The JDK's file exceptions often say only the path; say why. */
    static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null && !f.getReason().isBlank()) {
            return f.getReason();
        }
        return e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
    }
}
