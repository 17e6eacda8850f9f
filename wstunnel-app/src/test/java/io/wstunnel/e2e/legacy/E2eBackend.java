package io.wstunnel.e2e.legacy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** The local service behind the agents: the routes of the Go project's end-to-end tests. */
final class E2eBackend implements AutoCloseable {
    static final int BIG = 12 * 1024 * 1024;
    static final byte[] BIG_BODY = bytes(BIG, 42);

    final AtomicInteger hits = new AtomicInteger();
    final String name;
    private final HttpServer server;
    private final ExecutorService pool;

    E2eBackend(String name) throws IOException {
        this.name = name;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "e2e-legacy-backend");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        hits.incrementAndGet();
        try (x) {
            byte[] in;
            try (InputStream is = x.getRequestBody()) {
                in = is.readAllBytes();
            }
            String path = x.getRequestURI().getPath();
            String query = x.getRequestURI().getQuery() == null ? "" : x.getRequestURI().getQuery();
            x.getResponseHeaders().add("X-Backend", name);
            switch (path) {
                case "/hello":
                    x.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
                    send(x, 200, "Hello, World!".getBytes(StandardCharsets.UTF_8));
                    break;
                case "/echo":
                    x.getResponseHeaders().add("Content-Type", "text/plain");
                    send(x, 200, (in.length + " " + sha256(in)).getBytes(StandardCharsets.US_ASCII));
                    break;
                case "/big":
                    x.getResponseHeaders().add("Content-Type", "application/octet-stream");
                    send(x, 200, BIG_BODY);
                    break;
                case "/status445":
                    send(x, 445, "custom status".getBytes(StandardCharsets.US_ASCII));
                    break;
                case "/delay":
                    long ms = Long.parseLong(query.replaceAll(".*ms=(\\d+).*", "$1"));
                    Thread.sleep(ms);
                    send(x, 200, query.getBytes(StandardCharsets.US_ASCII));
                    break;
                default:
                    send(x, 200, (name + " " + path).getBytes(StandardCharsets.US_ASCII));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(HttpExchange x, int status, byte[] body) throws IOException {
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        x.getResponseBody().write(body);
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
