package io.wstunnel.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.wstunnel.srv.agent.V2Session;
import io.wstunnel.srv.limits.Limits;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A busy, well-behaved agent never reaches the hard cap on its socket's queue: 48 uploads and 16
 * downloads at once through one real agent, with the soft cap ({@code maxQueuedBytesPerAgent}) set
 * below a single DATA frame, so every stream keeps adding its one frame past it (and OPENs, RESETs,
 * WINDOW_UPDATEs and pings go with them). Every body arrives whole and the server never reports an
 * agent that does not read.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class QueueHardCapE2ETest {
    private static final int UPLOADS = 48;
    private static final int DOWNLOADS = 16;
    private static final byte[] BODY = RawHttp.randomBytes(2 * 1024 * 1024, 7);
    private static final String BODY_SHA = RawHttp.sha256(BODY);

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withJdkBackend(http -> {
        http.createContext("/up", ex -> {
            String digest;
            try (InputStream in = ex.getRequestBody()) {
                digest = RawHttp.countAndDigest(in);
            }
            byte[] seen = digest.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, seen.length);
            ex.getResponseBody().write(seen);
            ex.close();
        });
        http.createContext("/down", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, BODY.length);
            ex.getResponseBody().write(BODY);
            ex.close();
        });
    }).server(b -> b.maxQueuedBytesPerAgent(16 * 1024).limits(Limits.builder().maxStreamsPerAgent(UPLOADS + DOWNLOADS).build()));

    private final Logger sessionLog = (Logger) LoggerFactory.getLogger(V2Session.class);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        sessionLog.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        sessionLog.detachAppender(logs);
    }

    @Test
    void manyConcurrentBulkStreamsStayUnderTheHardCap() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> uploads = new ArrayList<>();
        List<CompletableFuture<HttpResponse<byte[]>>> downloads = new ArrayList<>();
        for (int i = 0; i < UPLOADS; i++) {
            uploads.add(tunnel.client().sendAsync(tunnel.callerRequest("/up/" + i)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(BODY)).build(), HttpResponse.BodyHandlers.ofString()));
            if (i < DOWNLOADS) {
                downloads.add(tunnel.client().sendAsync(tunnel.callerRequest("/down/" + i).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
        }
        CompletableFuture.allOf(uploads.toArray(CompletableFuture[]::new)).get(150, TimeUnit.SECONDS);
        CompletableFuture.allOf(downloads.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        for (CompletableFuture<HttpResponse<String>> u : uploads) {
            assertThat(u.get().statusCode()).as(u.get().body()).isEqualTo(200);
            assertThat(u.get().body()).isEqualTo(BODY.length + " " + BODY_SHA);
        }
        for (CompletableFuture<HttpResponse<byte[]>> d : downloads) {
            assertThat(d.get().statusCode()).isEqualTo(200);
            assertThat(RawHttp.sha256(d.get().body())).isEqualTo(BODY_SHA);
        }
        List<String> warnings;
        synchronized (logs) { // appends hold the appender's lock
            warnings = logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .map(ILoggingEvent::getFormattedMessage).toList();
        }
        assertThat(warnings).as("the agent's socket was never taken for one that does not read").isEmpty();
    }
}
