package io.wstunnel.e2e.legacy;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Test-only legacy agent written from LEGACY.md §1–§5 (it shares no code with the production agent):
 * dials /_tunnel with the token in Origin and no subprotocol, pings every second, turns each request
 * message into a call to {@code backend} and answers with one message (same id, Content-Length).
 */
final class LegacyTestAgent implements AutoCloseable {
    private static final Set<String> RESTRICTED = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "keep-alive", "te", "trailer", "transfer-encoding", "x-host", "x-token");

    private final String backend;
    private final HttpClient wsClient;
    private final HttpClient local = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> daemon(r, "legacy-test-agent"));
    private final ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "legacy-ping"));
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> daemon(r, "legacy-send"));
    final WebSocket ws;

    LegacyTestAgent(URI server, String token, String backend, InetSocketAddress proxy) throws Exception {
        this.backend = backend;
        HttpClient.Builder b = HttpClient.newBuilder();
        if (proxy != null) {
            b.proxy(ProxySelector.of(proxy));
        }
        wsClient = b.build();
        ws = wsClient.newWebSocketBuilder().header("Origin", token).header("X-Client-Version", "legacy-test-agent")
                .buildAsync(URI.create(server + "/_tunnel"), new Listener()).get(10, TimeUnit.SECONDS);
        pinger.scheduleAtFixedRate(() -> ws.sendPing(ByteBuffer.allocate(0)), 0, 1, TimeUnit.SECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private final class Listener implements WebSocket.Listener {
        private final ByteArrayOutputStream message = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
            byte[] a = new byte[data.remaining()];
            data.get(a);
            message.write(a, 0, a.length);
            if (last) {
                byte[] m = message.toByteArray();
                message.reset();
                workers.execute(() -> serve(m));
            }
            w.request(1);
            return null;
        }
    }

    private void serve(byte[] m) {
        Wire.Msg req = Wire.parse(m, false);
        byte[] answer;
        try {
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(backend + req.start()[1]))
                    .timeout(Duration.ofSeconds(30))
                    .method(req.start()[0], req.body().length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(req.body()));
            for (String[] h : req.headers()) {
                if (!RESTRICTED.contains(h[0].toLowerCase(Locale.ROOT))) {
                    rb.header(h[0], h[1]);
                }
            }
            HttpResponse<byte[]> r = local.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
            List<String[]> headers = new ArrayList<>();
            r.headers().map().forEach((k, vs) -> {
                if (!RESTRICTED.contains(k.toLowerCase(Locale.ROOT)) && !k.startsWith(":")) {
                    vs.forEach(v -> headers.add(new String[] {k, v}));
                }
            });
            answer = Wire.message(req.id(), "HTTP/1.1 " + r.statusCode() + " X", headers, r.body(), true);
        } catch (Exception e) {
            answer = Wire.message(req.id(), "HTTP/1.1 502 Bad Gateway", List.of(), e.toString().getBytes(), true);
        }
        byte[] out = answer;
        // one message at a time on the socket
        CompletableFuture.runAsync(() -> ws.sendBinary(ByteBuffer.wrap(out), true).join(), sender).join();
    }

    @Override
    public void close() {
        pinger.shutdownNow();
        ws.abort();
        workers.shutdownNow();
        sender.shutdownNow();
    }
}
