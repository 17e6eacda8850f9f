package io.wstunnel.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code wstunnel} (the launcher's main class) in a separate JVM on the test class path, with its
 * output in target/e2e-logs/NAME.log.
 */
final class ChildJvm {

    static final String LAUNCHER = System.getProperty("e2e.launcher", "io.wstunnel.app.Main");

    private final Process process;
    private final Path log;

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code java <jvmOptions> -cp <test class path> <launcher> <args>}. */
    static ChildJvm start(String name, List<String> jvmOptions, String... args) throws IOException {
        Path logs = Files.createDirectories(Path.of("target", "e2e-logs"));
        Path log = logs.resolve(name + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(LAUNCHER);
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new ChildJvm(p, log);
    }

    /** A port that was free a moment ago (bind a ServerSocket(0), close it). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    Process process() {
        return process;
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String output() throws IOException {
        return Files.readString(log, StandardCharsets.ISO_8859_1);
    }

    /**
     * Polls {@code probe} every 250 ms until it answers true; fails at once (with the child's output)
     * if the child exits, and after {@code bound} otherwise. Exceptions from the probe count as "not yet".
     */
    void awaitReady(String what, java.time.Duration bound, java.util.concurrent.Callable<Boolean> probe)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError(what + ": the child JVM exited with " + process.exitValue()
                        + "; its output (" + log + "):\n" + tail(output(), 3000));
            }
            try {
                if (Boolean.TRUE.equals(probe.call())) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(what + ": not ready within " + bound + " (last probe error: " + last
                + "); child output (" + log + "):\n" + tail(output(), 3000));
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s : "..." + s.substring(s.length() - max);
    }

    /** SIGKILL: the JVM gets no chance to close anything; the OS closes its sockets. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, then SIGKILL after 10 s. */
    void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
