package io.wstunnel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cancellation both ways and recovery: a caller that goes away aborts the local request; an agent
 * that goes away breaks the caller's response visibly; a new agent on the token serves the next
 * requests and those that waited meanwhile.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CancellationE2ETest {

    private static final int SLOW_TOTAL = 1024 * 1024;

    private final CountDownLatch slowStarted = new CountDownLatch(1);
    /** Attempts to cancel: each is repeated on one tunnel, since a racy abort fails only now and then. */
    private static final int ATTEMPTS = 10;

    /** What the backend saw of one request, keyed by its query string. */
    private static final class Seen {
        final CountDownLatch started = new CountDownLatch(1);
        final CompletableFuture<String> outcome = new CompletableFuture<>();
        final java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
    }

    private final ConcurrentHashMap<String, Seen> seen = new ConcurrentHashMap<>();

    private Seen seen(com.sun.net.httpserver.HttpExchange ex) {
        String q = ex.getRequestURI().getRawQuery();
        return seen.computeIfAbsent(q == null ? "" : q, k -> new Seen());
    }
    private final ConcurrentHashMap<String, AtomicInteger> okCount = new ConcurrentHashMap<>();

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withJdkBackend(http -> {
        // 1 KiB every 50 ms, chunked (or with Content-Length on /slowfixed), for up to ~50 s.
        http.createContext("/slowfixed", this::slow);
        http.createContext("/slow", this::slow);
        http.createContext("/upload", ex -> {
            Seen s = seen(ex);
            long count = 0;
            s.started.countDown();
            try (InputStream in = ex.getRequestBody()) {
                byte[] buf = new byte[16 * 1024];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    count += n;
                    s.bytes.set(count);
                }
                s.outcome.complete("ended after " + count + " bytes");
                ex.sendResponseHeaders(200, -1);
            } catch (IOException e) {
                s.outcome.complete("aborted after " + count + " bytes: " + e);
            } finally {
                ex.close();
            }
        });
        http.createContext("/ok", ex -> {
            okCount.computeIfAbsent(ex.getRequestURI().toString(), k -> new AtomicInteger()).incrementAndGet();
            byte[] body = ("ok " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
    });

    private void slow(com.sun.net.httpserver.HttpExchange ex) {
        Seen s = seen(ex);
        boolean fixed = ex.getRequestURI().getPath().startsWith("/slowfixed");
        try {
            ex.sendResponseHeaders(200, fixed ? SLOW_TOTAL : 0);
            OutputStream out = ex.getResponseBody();
            byte[] kib = new byte[1024];
            java.util.Arrays.fill(kib, (byte) 'z');
            for (int i = 0; i < SLOW_TOTAL / 1024; i++) {
                out.write(kib);
                out.flush();
                s.bytes.addAndGet(kib.length);
                s.started.countDown();
                slowStarted.countDown();
                Thread.sleep(50);
            }
            s.outcome.complete("completed");
        } catch (IOException e) {
            s.outcome.complete("write failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ex.close();
        }
    }

    @Test
    void callerDisconnectAbortsTheBackendRequest() throws Exception {
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            String q = "attempt=" + attempt;
            try (Socket caller = RawHttp.connect(tunnel.serverPort(), 20_000)) {
                RawHttp.send(caller, "GET /slow?" + q + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Token: " + tunnel.token(),
                        new byte[0]);
                InputStream in = new BufferedInputStream(caller.getInputStream());
                RawHttp.Response head = RawHttp.readHead(in);
                assertThat(head.status()).isEqualTo(200);
                assertThat(in.read()).as("first body byte").isGreaterThanOrEqualTo(0);
            } // caller goes away here, mid-response

            Seen s = seen.get(q);
            String outcome;
            try {
                outcome = s.outcome.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("attempt " + attempt + " of " + ATTEMPTS + ": 10 s after the caller went away"
                        + " the backend still writes its response without error (" + s.bytes.get()
                        + " bytes written): the local request was not aborted");
            }
            assertThat(outcome).as("attempt %d: how the backend's response ended", attempt).startsWith("write failed");
        }
    }

    @Test
    void agentStoppedMidChunkedResponseBreaksTheCallersResponse() throws Exception {
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (Socket caller = RawHttp.connect(tunnel.serverPort(), 30_000)) {
            RawHttp.send(caller, "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Token: " + tunnel.token(), new byte[0]);
            InputStream in = new BufferedInputStream(caller.getInputStream());
            RawHttp.Response head = RawHttp.readHead(in);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).as("the backend's response has no length").isEmpty();
            assertThat(slowStarted.await(10, TimeUnit.SECONDS)).isTrue();

            tunnel.agent().stop(Duration.ZERO);

            Future<?> rest = reader.submit(() -> {
                RawHttp.readChunked(in, OutputStream.nullOutputStream());
                return null;
            });
            assertBrokenWithin(rest, Duration.ofSeconds(20));
        } finally {
            TunnelFixture.shutdownAndWait(reader);
        }
    }

    @Test
    void agentStoppedMidFixedLengthResponseBreaksTheCallersResponse() throws Exception {
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            HttpResponse<InputStream> r = tunnel.client().send(tunnel.callerRequest("/slowfixed").GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            InputStream in = r.body();
            assertThat(in.read()).as("first body byte").isGreaterThanOrEqualTo(0);

            tunnel.agent().stop(Duration.ZERO);

            Future<?> rest = reader.submit(() -> {
                long n = 1 + in.transferTo(OutputStream.nullOutputStream());
                return n; // only reached on a clean end of stream
            });
            assertBrokenWithin(rest, Duration.ofSeconds(20));
        } finally {
            TunnelFixture.shutdownAndWait(reader);
        }
    }

    /** The read ends with an IOException (reset, EOF inside the body), not a clean end, not a hang. */
    private static void assertBrokenWithin(Future<?> read, Duration bound) throws InterruptedException {
        try {
            Object result = read.get(bound.toMillis(), TimeUnit.MILLISECONDS);
            fail("the caller's response ended cleanly (%s bytes) although the agent died mid-response", result);
        } catch (TimeoutException e) {
            fail("the caller's response neither ended nor broke within %s after the agent died", bound);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).as("how the response ended").isInstanceOf(IOException.class)
                    .isNotInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void newAgentOnTheTokenServesTheNextRequest() throws Exception {
        assertThat(tunnel.callerGet("/ok?before").statusCode()).isEqualTo(200);
        tunnel.agent().stop(Duration.ZERO);
        await().atMost(Duration.ofSeconds(10)).until(() -> !tunnel.agent().isConnected());

        tunnel.startAgent();
        HttpResponse<String> r = tunnel.callerGet("/ok?after");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok /ok?after");
    }

    @Test
    void requestsArrivingWhileTheAgentIsAwayAreServedOnceItIsBack() throws Exception {
        tunnel.agent().stop(Duration.ZERO);
        await().atMost(Duration.ofSeconds(10)).until(() -> !tunnel.agent().isConnected());
        Thread.sleep(300); // let the server see the close

        List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(tunnel.client().sendAsync(tunnel.callerRequest("/ok?gap=" + i).GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        Thread.sleep(1000);
        for (CompletableFuture<HttpResponse<String>> f : waiting) {
            assertThat(f).as("a request for a known token whose agent is away waits (got: %s)",
                    f.isDone() ? f.getNow(null) : "pending").isNotDone();
        }

        tunnel.startAgent();

        CompletableFuture.allOf(waiting.toArray(new CompletableFuture<?>[0])).get(20, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = waiting.get(i).get();
            assertThat(r.statusCode()).as("request %d", i).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ok /ok?gap=" + i);
            assertThat(okCount.get("/ok?gap=" + i).get()).as("times request %d reached the backend", i).isEqualTo(1);
        }
    }

    @Test
    void callerDisconnectMidUploadAbortsTheBackendRequest() throws Exception {
        int declared = 8 * 1024 * 1024;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            String q = "attempt=" + attempt;
            try (Socket caller = RawHttp.connect(tunnel.serverPort(), 20_000)) {
                RawHttp.send(caller, "POST /upload?" + q + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Token: " + tunnel.token()
                        + "\r\nContent-Length: " + declared, RawHttp.randomBytes(512 * 1024, attempt));
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.containsKey(q)
                        && seen.get(q).bytes.get() > 0);
            } // caller goes away with most of the body still unsent

            Seen s = seen.get(q);
            String outcome;
            try {
                outcome = s.outcome.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("attempt " + attempt + " of " + ATTEMPTS + ": 10 s after the caller went away"
                        + " the backend is still reading the request body (read " + s.bytes.get() + " of " + declared
                        + " bytes): the local request was not aborted");
            }
            assertThat(outcome).as("attempt %d: what the backend saw of the upload", attempt).startsWith("aborted")
                    .doesNotContain("after " + declared + " bytes");
        }
    }
}
