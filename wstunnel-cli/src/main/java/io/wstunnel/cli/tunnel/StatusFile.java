package io.wstunnel.cli.tunnel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** The -statusfile: "Unix: &lt;epoch&gt;\nTime: &lt;RFC3339&gt;\n" as the Go agent writes it, replaced atomically. */
public final class StatusFile {
    /** Go's time.RFC3339: seconds precision, "Z" for UTC, "+hh:mm" otherwise. */
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");

    private StatusFile() {
    }

    public static String format(Instant now, ZoneId zone) {
        return "Unix: " + now.getEpochSecond() + "\nTime: " + RFC3339.format(now.atZone(zone)) + "\n";
    }

    public static void write(Path file, Instant now, ZoneId zone) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        Files.writeString(tmp, format(now, zone), StandardCharsets.UTF_8);
        try {
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
