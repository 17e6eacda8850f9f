package io.wstunnel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One stream that cannot progress (its caller stops reading a 64 MiB response) never delays the
 * others on the same tunnel (same token, one agent), and it is held back by flow control rather than
 * buffered whole.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HeadOfLineE2ETest {

    private static final long BIG = 64L * 1024 * 1024;

    private final AtomicLong bigBytesWritten = new AtomicLong();
    private final AtomicBoolean bigCompleted = new AtomicBoolean();

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withJdkBackend(http -> {
        http.createContext("/big", ex -> {
            try {
                ex.sendResponseHeaders(200, BIG);
                OutputStream out = ex.getResponseBody();
                byte[] block = RawHttp.randomBytes(64 * 1024, 1);
                long left = BIG;
                while (left > 0) {
                    int n = (int) Math.min(block.length, left);
                    out.write(block, 0, n);
                    bigBytesWritten.addAndGet(n);
                    left -= n;
                }
                out.flush();
                bigCompleted.set(true);
            } catch (IOException aborted) {
                // the caller went away at the end of the test
            } finally {
                ex.close();
            }
        });
        http.createContext("/small", ex -> {
            byte[] body = ("small:" + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
    });

    @Test
    void stalledLargeResponseDoesNotDelayHundredSmallRequests() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", tunnel.serverPort()), 10_000);
            RawHttp.send(stalled, "GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Token: " + tunnel.token(), new byte[0]);
            // ... and never read from it.

            await("the large response starts flowing").atMost(Duration.ofSeconds(20))
                    .until(() -> bigBytesWritten.get() >= 1024 * 1024);
            waitUntilStalled(Duration.ofSeconds(20));

            long start = System.nanoTime();
            List<Future<HttpResponse<String>>> smalls = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String path = "/small/" + i;
                smalls.add(pool.submit(() -> tunnel.callerGet(path)));
            }
            for (int i = 0; i < 100; i++) {
                long leftNanos = TimeUnit.SECONDS.toNanos(20) - (System.nanoTime() - start);
                HttpResponse<String> r = smalls.get(i).get(Math.max(leftNanos, 1), TimeUnit.NANOSECONDS);
                assertThat(r.statusCode()).as("small request %d", i).isEqualTo(200);
                assertThat(r.body()).as("small request %d", i).isEqualTo("small:/small/" + i);
            }

            assertThat(bigCompleted.get())
                    .as("a caller that reads nothing must hold back the backend (flow control), not have all %d bytes"
                            + " buffered; backend wrote %d", BIG, bigBytesWritten.get())
                    .isFalse();
        } finally {
            TunnelFixture.shutdownAndWait(pool);
        }
    }

    @Test
    void slowlyReadLargeResponseDoesNotDelayHundredSmallRequests() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(11);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong slowRead = new java.util.concurrent.atomic.AtomicLong();
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", tunnel.serverPort()), 10_000);
            slow.setSoTimeout(30_000);
            RawHttp.send(slow, "GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Token: " + tunnel.token(), new byte[0]);
            pool.submit(() -> {
                byte[] buf = new byte[4096];
                java.io.InputStream in = slow.getInputStream();
                while (!stop.get()) { // about 40 KiB/s: a 64 MiB response would take half an hour
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    slowRead.addAndGet(n);
                    Thread.sleep(100);
                }
                return null;
            });
            await("the slow reader receives bytes").atMost(Duration.ofSeconds(20)).until(() -> slowRead.get() > 0);

            long start = System.nanoTime();
            List<Future<HttpResponse<String>>> smalls = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String path = "/small/" + i;
                smalls.add(pool.submit(() -> tunnel.callerGet(path)));
            }
            for (int i = 0; i < 100; i++) {
                long leftNanos = TimeUnit.SECONDS.toNanos(20) - (System.nanoTime() - start);
                HttpResponse<String> r = smalls.get(i).get(Math.max(leftNanos, 1), TimeUnit.NANOSECONDS);
                assertThat(r.statusCode()).as("small request %d", i).isEqualTo(200);
                assertThat(r.body()).as("small request %d", i).isEqualTo("small:/small/" + i);
            }
            long before = slowRead.get();
            await("the slow reader keeps receiving").atMost(Duration.ofSeconds(10)).until(() -> slowRead.get() > before);
        } finally {
            stop.set(true);
            TunnelFixture.shutdownAndWait(pool);
        }
    }

    /** Waits (bounded) until the backend has written nothing more for a second, or the bound passes. */
    private void waitUntilStalled(Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        long last = -1;
        while (System.nanoTime() < deadline && !bigCompleted.get()) {
            long now = bigBytesWritten.get();
            if (now == last) {
                return;
            }
            last = now;
            Thread.sleep(1000);
        }
    }
}
