package io.wstunnel.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The small local HTTP service of {@code wstunnel demo}, on 127.0.0.1 and an ephemeral port:
 * {@code /stream} sends {@value #STREAM_CHUNKS} chunks {@value #STREAM_GAP_MS} ms apart, {@code /echo}
 * answers with the request body, every other path says hello.
 */
final class DemoService implements AutoCloseable {
    static final String HELLO = "Hello from the local service behind the tunnel!";
    static final int STREAM_CHUNKS = 5;
    static final int STREAM_GAP_MS = 500;

    private final HttpServer server;
    private final ExecutorService executor;

    private DemoService(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static DemoService start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "demo-service");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", DemoService::handle);
        server.start();
        return new DemoService(server, executor);
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            byte[] requestBody;
            try (InputStream in = ex.getRequestBody()) {
                requestBody = in.readAllBytes();
            }
            if (path.equals("/echo")) {
                String type = ex.getRequestHeaders().getFirst("Content-Type");
                ex.getResponseHeaders().set("Content-Type", type == null ? "application/octet-stream" : type);
                ex.sendResponseHeaders(200, requestBody.length == 0 ? -1 : requestBody.length);
                if (requestBody.length > 0) {
                    ex.getResponseBody().write(requestBody);
                }
            } else if (path.equals("/stream")) {
                ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                ex.sendResponseHeaders(200, 0); // chunked
                OutputStream out = ex.getResponseBody();
                for (int i = 1; i <= STREAM_CHUNKS; i++) {
                    out.write(("chunk " + i + " of " + STREAM_CHUNKS + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    if (i < STREAM_CHUNKS) {
                        try {
                            Thread.sleep(STREAM_GAP_MS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
            } else {
                byte[] body = (HELLO + " You asked for " + ex.getRequestMethod() + " " + ex.getRequestURI() + "\n")
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                boolean head = ex.getRequestMethod().equals("HEAD");
                ex.sendResponseHeaders(200, head ? -1 : body.length);
                if (!head) {
                    ex.getResponseBody().write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
