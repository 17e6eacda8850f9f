package io.wstunnel.e2e.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code protocol/interop/v2_agent.py} (a wstunnel.v2 agent written in Python from PROTOCOL.md
 * alone) as a child process. Its stdout is a stream of JSON events, collected here in order; its
 * stderr goes to target/e2e-logs/NAME.err. The token reaches it through the environment only.
 */
final class PythonPeer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path stderr;
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private PythonPeer(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.reader = new Thread(this::readEvents, "python-peer-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** The script, found from the wstunnel-app module directory (Surefire's working directory). */
    static Path script() {
        Path p = Path.of("..", "protocol", "interop", "v2_agent.py").toAbsolutePath().normalize();
        if (!Files.isRegularFile(p)) {
            throw new AssertionError("the interop peer is missing: " + p + " (the test runs from the wstunnel-app"
                    + " module directory)");
        }
        return p;
    }

    /** python3 from PATH; its absence fails the test: CI installs it (.ci/run). */
    static Path python3() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "python3");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("python3 is not on PATH (" + path + "): this interop test runs"
                + " protocol/interop/v2_agent.py and needs Python 3.9+; .ci/run installs the Debian package python3");
    }

    /** Starts {@code python3 v2_agent.py tunnelUrl args...} with the token in WSTUNNEL_TOKEN. */
    static PythonPeer start(String name, String tunnelUrl, String token, String... args) throws IOException {
        Path logs = Files.createDirectories(Path.of("target", "e2e-logs"));
        Path err = logs.resolve(name + ".err");
        List<String> cmd = new ArrayList<>(List.of(python3().toString(), "-u", script().toString(), tunnelUrl));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        pb.environment().put("WSTUNNEL_TOKEN", token);
        return new PythonPeer(pb.start(), err);
    }

    private void readEvents() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                try {
                    events.add(JSON.readTree(line));
                } catch (IOException notJson) {
                    events.add(JSON.createObjectNode().put("event", "unparsed").put("line", line));
                }
            }
        } catch (IOException ignored) {
            // the process went away; what it printed so far is kept
        }
    }

    List<JsonNode> events() {
        return List.copyOf(events);
    }

    List<JsonNode> events(String type) {
        return events.stream().filter(e -> type.equals(e.path("event").asText())).toList();
    }

    /**
     * The first event of {@code type} matching {@code filter}, waiting at most {@code bound}; fails
     * with everything the peer said if it does not come or the peer exits first.
     */
    JsonNode await(String type, Predicate<JsonNode> filter, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            Optional<JsonNode> hit = events(type).stream().filter(filter).findFirst();
            if (hit.isPresent()) {
                return hit.get();
            }
            if (System.nanoTime() > deadline || (!process.isAlive() && !reader.isAlive())) {
                throw new AssertionError("no '" + type + "' event from the Python peer within " + bound
                        + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")") + "; "
                        + describe());
            }
            Thread.sleep(20);
        }
    }

    /** Waits for the process to end; its exit status, or fails after {@code bound}. */
    int awaitExit(Duration bound) throws InterruptedException {
        if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the Python peer did not exit within " + bound + "; " + describe());
        }
        reader.join(bound.toMillis());
        return process.exitValue();
    }

    /**
     * SIGTERM: the peer's graceful shutdown (GOAWAY, then close 1001). Through the ProcessHandle:
     * Process.destroy() would also close our end of its stdout and lose the events that follow.
     */
    void terminate() {
        process.toHandle().destroy();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String describe() {
        String err;
        try {
            err = Files.readString(stderr, StandardCharsets.UTF_8);
        } catch (IOException e) {
            err = "(unreadable: " + e + ")";
        }
        return "events: " + events + "; stderr: " + (err.length() > 3000 ? "..." + err.substring(err.length() - 3000) : err);
    }

    /** Ends the process (SIGTERM, then SIGKILL after 5 s); always safe to call. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
