package io.wstunnel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 1 GiB through the tunnel each way with server and agent in separate JVMs capped at -Xmx128m
 * (-XX:+ExitOnOutOfMemoryError, so buffering a body whole kills the process). The bytes are
 * generated on the fly and hashed at both ends; nothing holds a body in memory in the test JVM either.
 *
 * <p>Size: system property {@code e2e.bigBytes} (default 1 GiB).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class BoundedMemoryE2ETest {

    private static final long SIZE = Long.getLong("e2e.bigBytes", 1024L * 1024 * 1024);
    /** Small enough that holding a body (or a large part of it) in memory fails. */
    private static final List<String> SMALL_HEAP = List.of("-Xmx128m", "-XX:+ExitOnOutOfMemoryError");
    private static final String TOKEN = TunnelFixture.randomToken();

    private static final AtomicReference<String> uploadSeen = new AtomicReference<>();
    private static final AtomicReference<String> downloadSent = new AtomicReference<>();

    private static HttpServer backend;
    private static ExecutorService backendExecutor;
    private static ChildJvm server;
    private static ChildJvm agent;
    private static int serverPort;
    private static HttpClient client;

    @BeforeAll
    static void startChildren() throws Exception {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        backendExecutor = Executors.newCachedThreadPool();
        backend.setExecutor(backendExecutor);
        backend.createContext("/ready", ex -> {
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        backend.createContext("/up", ex -> {
            String seen;
            try (InputStream in = ex.getRequestBody()) {
                seen = RawHttp.countAndDigest(in);
            }
            uploadSeen.set(seen);
            byte[] body = seen.getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.createContext("/down", ex -> {
            MessageDigest md = RawHttp.sha256();
            try {
                ex.sendResponseHeaders(200, SIZE);
                OutputStream out = ex.getResponseBody();
                Generator gen = new Generator(SIZE, 99);
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = gen.read(buf)) >= 0) {
                    md.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
                out.flush();
                downloadSent.set(SIZE + " " + HexFormat.of().formatHex(md.digest()));
            } finally {
                ex.close();
            }
        });
        backend.start();

        serverPort = ChildJvm.freePort();
        server = ChildJvm.start("bounded-memory-srv", SMALL_HEAP, "srv", "-host", "127.0.0.1", "-port", Integer.toString(serverPort),
                "-log-level", "warn");
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        server.awaitReady("child server answers /_health_check", Duration.ofSeconds(40),
                () -> get("/_health_check", false).statusCode() == 200);

        agent = ChildJvm.start("bounded-memory-cli", SMALL_HEAP, "cli", "-tunnel", "ws://127.0.0.1:" + serverPort,
                "-server", "http://127.0.0.1:" + backend.getAddress().getPort(),
                "-token", TOKEN, "-log-level", "warn");
        agent.awaitReady("child agent serves requests through the tunnel", Duration.ofSeconds(40),
                () -> get("/ready", true).statusCode() == 200);
    }

    @AfterAll
    static void stopChildren() throws InterruptedException {
        for (ChildJvm p : new ChildJvm[] {agent, server}) {
            if (p != null) {
                p.close();
            }
        }
        if (backend != null) {
            backend.stop(0);
            backendExecutor.shutdownNow();
        }
    }

    private static HttpResponse<Void> get(String path, boolean withToken) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort + path))
                .timeout(Duration.ofSeconds(5)).GET();
        if (withToken) {
            b.header("X-Token", TOKEN);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.discarding());
    }

    private static void assertChildrenHealthy() throws IOException {
        assertThat(server.isAlive()).as("server JVM alive (log: %s)", server.log()).isTrue();
        assertThat(agent.isAlive()).as("agent JVM alive (log: %s)", agent.log()).isTrue();
        assertThat(server.output()).doesNotContain("OutOfMemoryError");
        assertThat(agent.output()).doesNotContain("OutOfMemoryError");
    }

    @Test
    void oneGibUploadStreamsThroughSmallHeaps() throws Exception {
        MessageDigest sent = RawHttp.sha256();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort + "/up"))
                .timeout(Duration.ofSeconds(200))
                .header("X-Token", TOKEN)
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> new HashingInputStream(new Generator(SIZE, 42), sent)),
                        SIZE))
                .build();
        long start = System.nanoTime();

        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());

        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("upload of %d bytes took %.1f s%n", SIZE, seconds);
        assertThat(r.statusCode()).as("status (server log %s, agent log %s)", server.log(), agent.log()).isEqualTo(200);
        String expected = SIZE + " " + HexFormat.of().formatHex(sent.digest());
        assertThat(r.body()).as("count and SHA-256 at the backend").isEqualTo(expected);
        assertThat(uploadSeen.get()).isEqualTo(expected);
        assertChildrenHealthy();
    }

    @Test
    void oneGibDownloadStreamsThroughSmallHeaps() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort + "/down"))
                .timeout(Duration.ofSeconds(30))
                .header("X-Token", TOKEN)
                .GET().build();
        long start = System.nanoTime();

        HttpResponse<InputStream> r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        MessageDigest got = RawHttp.sha256();
        long count = 0;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                got.update(buf, 0, n);
                count += n;
            }
        }

        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("download of %d bytes took %.1f s%n", count, seconds);
        String received = count + " " + HexFormat.of().formatHex(got.digest());
        await("backend finished writing").atMost(Duration.ofSeconds(10)).until(() -> downloadSent.get() != null);
        assertThat(received).as("count and SHA-256 at the caller").isEqualTo(downloadSent.get());
        assertChildrenHealthy();
    }

    /** A deterministic, incompressible, position-dependent byte stream of a given length. */
    static final class Generator extends InputStream {
        private final long size;
        private final long seed;
        private final byte[] block = new byte[64 * 1024];
        private long pos;
        private long blockIndex = -1;

        Generator(long size, long seed) {
            this.size = size;
            this.seed = seed;
        }

        private void fill(long index) {
            long x = seed ^ (index * 0x9E3779B97F4A7C15L);
            for (int i = 0; i < block.length; i += 8) {
                x += 0x9E3779B97F4A7C15L;
                long z = x;
                z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
                z = z ^ (z >>> 31);
                for (int b = 0; b < 8; b++) {
                    block[i + b] = (byte) (z >>> (8 * b));
                }
            }
            blockIndex = index;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= size) {
                return -1;
            }
            long index = pos / block.length;
            if (index != blockIndex) {
                fill(index);
            }
            int inBlock = (int) (pos % block.length);
            int n = (int) Math.min(Math.min(len, block.length - inBlock), size - pos);
            System.arraycopy(block, inBlock, b, off, n);
            pos += n;
            return n;
        }
    }

    /** Hashes what is read through it. */
    static final class HashingInputStream extends InputStream {
        private final InputStream in;
        private final MessageDigest md;

        HashingInputStream(InputStream in, MessageDigest md) {
            this.in = in;
            this.md = md;
        }

        @Override
        public int read() throws IOException {
            int c = in.read();
            if (c >= 0) {
                md.update((byte) c);
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                md.update(b, off, n);
            }
            return n;
        }
    }
}
