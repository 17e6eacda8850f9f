package io.wstunnel.e2e.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.e2e.TunnelFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 100 MiB through a TCP stream and back (client → server → agent → TCP echo → agent → server →
 * client) with server and agent in child JVMs capped at -Xmx64m (-XX:+ExitOnOutOfMemoryError: any
 * buffering of the stream kills them). The test JVM hashes on the fly and holds nothing either.
 * Size: system property {@code e2e.tcpBytes}.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class TcpBoundedMemoryE2ETest {
    private static final long SIZE = Long.getLong("e2e.tcpBytes", 100L << 20);
    private static final List<String> SMALL_HEAP = List.of("-Xmx64m", "-XX:+ExitOnOutOfMemoryError");
    private static final String TOKEN = TunnelFixture.randomToken();

    private static StreamsFixture.TcpEcho echo;
    private static Process server;
    private static Process agent;
    private static int serverPort;

    @BeforeAll
    static void startChildren() throws Exception {
        echo = new StreamsFixture.TcpEcho();
        serverPort = StreamsFixture.closedPort();
        server = child("tcp-bounded-srv", "srv", "-host", "127.0.0.1", "-port", Integer.toString(serverPort),
                "-log-level", "warn");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        awaitTrue("server health", () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort
                + "/_health_check")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        agent = child("tcp-bounded-cli", "cli", "-tunnel", "ws://127.0.0.1:" + serverPort, "-token", TOKEN,
                "-tcp", "echo=127.0.0.1:" + echo.port(), "-log-level", "warn");
        // The tunnel is up once the token is known (a request is no longer answered 404).
        awaitTrue("agent connected", () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort
                + "/_token/" + TOKEN + "/x")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() != 404);
    }

    @AfterAll
    static void stopChildren() throws InterruptedException {
        for (Process p : new Process[] {agent, server}) {
            if (p != null) {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
        if (echo != null) {
            echo.close();
        }
    }

    @Test
    void hundredMebibytesEachWayWithSmallHeaps() throws Exception {
        HashingListener listener = new HashingListener();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + serverPort + "/_token/" + TOKEN + "/_tcp/echo"), listener)
                .get(20, TimeUnit.SECONDS);
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        Random random = new Random(7);
        byte[] chunk = new byte[64 * 1024];
        long t0 = System.nanoTime();
        for (long off = 0; off < SIZE; off += chunk.length) {
            int n = (int) Math.min(chunk.length, SIZE - off);
            random.nextBytes(chunk);
            sent.update(chunk, 0, n);
            ws.sendBinary(ByteBuffer.wrap(chunk, 0, n), true).get(30, TimeUnit.SECONDS);
            assertThat(server.isAlive() && agent.isAlive()).as("children alive (no OutOfMemoryError)").isTrue();
        }
        String digest = listener.done.get(60, TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.printf("TCP stream: %d bytes echoed in %d ms%n", SIZE, ms);
        assertThat(digest).isEqualTo(HexFormat.of().formatHex(sent.digest()));
        assertThat(server.isAlive() && agent.isAlive()).isTrue();
        ws.sendClose(1000, "").join();
    }

    private static final class HashingListener implements WebSocket.Listener {
        final CompletableFuture<String> done = new CompletableFuture<>();
        private final MessageDigest md;
        private long count;

        HashingListener() throws Exception {
            md = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            count += data.remaining();
            md.update(data);
            if (count >= SIZE) {
                done.complete(HexFormat.of().formatHex(md.digest()));
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            done.completeExceptionally(new AssertionError("closed early after " + count + " bytes: " + statusCode + " " + reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            done.completeExceptionally(error);
        }
    }

    private static Process child(String name, String... args) throws IOException {
        Path logs = Files.createDirectories(Path.of("target", "e2e-logs"));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(SMALL_HEAP);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(System.getProperty("e2e.launcher", "io.wstunnel.app.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile()).start();
    }

    private static void awaitTrue(String what, java.util.concurrent.Callable<Boolean> probe) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!server.isAlive() || (agent != null && !agent.isAlive())) {
                throw new AssertionError(what + ": a child JVM exited (see target/e2e-logs)");
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
        throw new AssertionError(what + ": not ready within 40 s (last error: " + last + ")");
    }
}
