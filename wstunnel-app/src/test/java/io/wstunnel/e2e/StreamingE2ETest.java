package io.wstunnel.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Response bytes reach the caller as the local service produces them. The backend writes three
 * chunks about 200 ms apart; before writing the last one it notes whether the caller already holds
 * the first (it gives the caller up to 5 s: a tunnel that buffers the whole response can never
 * deliver chunk 1 before chunk 3 is written).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamingE2ETest {

    private static final String[] CHUNKS = {"chunk-1;", "chunk-2;", "chunk-3;"};

    private final CountDownLatch callerHasFirstChunk = new CountDownLatch(1);
    /** Set by the backend just before it writes the last chunk: did the caller have chunk 1? */
    private final AtomicReference<Boolean> callerHadFirstBeforeLastWritten = new AtomicReference<>();

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withJdkBackend(http -> {
        http.createContext("/chunked", ex -> trickle(ex, false));
        http.createContext("/fixed", ex -> trickle(ex, true));
    });

    private void trickle(HttpExchange ex, boolean fixedLength) throws IOException {
        try {
            ex.getResponseHeaders().add("Content-Type", "text/plain");
            int total = 0;
            for (String c : CHUNKS) {
                total += c.length();
            }
            ex.sendResponseHeaders(200, fixedLength ? total : 0);
            OutputStream out = ex.getResponseBody();
            out.write(CHUNKS[0].getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(200);
            out.write(CHUNKS[1].getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(200);
            boolean had = callerHasFirstChunk.await(5, TimeUnit.SECONDS);
            callerHadFirstBeforeLastWritten.set(had);
            out.write(CHUNKS[2].getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ex.close();
        }
    }

    private void assertStreams(String path) throws Exception {
        HttpResponse<InputStream> r = tunnel.client().send(tunnel.callerRequest(path).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);

        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (InputStream in = r.body()) {
            byte[] buf = new byte[1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                got.write(buf, 0, n);
                if (got.toString(StandardCharsets.US_ASCII).contains(CHUNKS[0])) {
                    callerHasFirstChunk.countDown();
                }
            }
        }

        assertThat(got.toString(StandardCharsets.US_ASCII)).isEqualTo(String.join("", CHUNKS));
        assertThat(callerHadFirstBeforeLastWritten.get())
                .as("the caller had the first chunk before the backend wrote the last one")
                .isTrue();
    }

    @Test
    void chunkedResponseReachesCallerAsItIsProduced() throws Exception {
        assertStreams("/chunked");
    }

    @Test
    void fixedLengthResponseReachesCallerAsItIsProduced() throws Exception {
        assertStreams("/fixed");
    }
}
