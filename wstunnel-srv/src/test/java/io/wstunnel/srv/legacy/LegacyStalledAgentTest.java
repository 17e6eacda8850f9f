package io.wstunnel.srv.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.ServerPerTest;
import io.wstunnel.srv.StalledAgent;
import io.wstunnel.srv.tunnel.TokenRegistry;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * A legacy agent that never reads its socket but keeps pinging: every ping asks for a pong, and the
 * legacy framing has no frame budget. The pongs do not pile up without bound: once the socket's send
 * buffer is full and more than 50 frames wait (Undertow's QUEUED_FRAMES_HIGH_WATER_MARK), Undertow
 * stops reading the socket, so the agent's pings stop counting as signs of life and the keep-alive
 * check drops it after -wstimeout. Its request fails as for any lost agent, and another tenant is
 * served throughout. (Requests leave one at a time, LegacySender, so nothing else grows.) Undertow's
 * own ping limit (300 a minute) is lifted for the test: it would end this flood early, but not a
 * slower one.
 */
@Timeout(60)
class LegacyStalledAgentTest extends ServerPerTest {
    static final String TOKEN_A = "tenant-legacy-aaaaaaaaaaaa";
    /** Its first 8 characters, all a log shows, differ from the other tenant's. */
    static final String STALLED = "stalled-legacy-bbbbbbbbbbb";

    CompletableFuture<HttpResponse<String>> get(String token, String path) {
        return http.sendAsync(HttpRequest.newBuilder(url(path)).header("X-Token", token).timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anAgentThatPingsButNeverReadsLosesItsSocket() throws Exception {
        restart(ServerConfig.builder().wsTimeout(Duration.ofSeconds(2)).httpTimeout(Duration.ofSeconds(20)));
        String pingLimit = System.getProperty(AbstractReceiveListener.WEB_SOCKETS_PING_MAX_PER_WINDOW_PROPERTY);
        System.setProperty(AbstractReceiveListener.WEB_SOCKETS_PING_MAX_PER_WINDOW_PROPERTY, "1000000");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger sessionLog = (Logger) LoggerFactory.getLogger(LegacySession.class);
        sessionLog.addAppender(logs);
        AtomicBoolean stop = new AtomicBoolean();
        try (LegacyTestAgent tenant = LegacyTestAgent.connect(server.port(), TOKEN_A);
             StalledAgent bad = StalledAgent.upgrade(server.port(), STALLED, null)) {
            serve(tenant, stop);
            // A request on the stalled agent's tunnel: it reaches the socket before anything piles up.
            CompletableFuture<HttpResponse<String>> victim = get(STALLED, "/victim");
            await().atMost(Duration.ofSeconds(5)).until(() -> server.inFlight() == 1);

            Thread flood = new Thread(() -> {
                while (!stop.get() && bad.send(StalledAgent.OP_PING, i -> new byte[125], 100)) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "legacy-stalled-flood");
            flood.setDaemon(true);
            flood.start();
            List<Integer> tenantStatuses = new CopyOnWriteArrayList<>();
            await("the stalled agent's socket is dropped").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        tenantStatuses.add(get(TOKEN_A, "/during").get(15, TimeUnit.SECONDS).statusCode());
                        return victim.isDone();
                    });
            assertThat(victim.get().statusCode()).as("its request, sent before it stalled").isEqualTo(502);
            assertThat(tenantStatuses).as("the other tenant throughout").isNotEmpty().containsOnly(200);
            assertThat(get(TOKEN_A, "/after").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            List<String> warnings;
            synchronized (logs) { // appends hold the appender's lock
                warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
            }
            assertThat(warnings).as("dropped by the keep-alive check: its pings were no longer read").singleElement()
                    .asString().contains("tunnel " + TokenRegistry.cut(STALLED) + " legacy agent 127.0.0.1: no ping for ");
        } finally {
            stop.set(true);
            sessionLog.detachAppender(logs);
            if (pingLimit == null) {
                System.clearProperty(AbstractReceiveListener.WEB_SOCKETS_PING_MAX_PER_WINDOW_PROPERTY);
            } else {
                System.setProperty(AbstractReceiveListener.WEB_SOCKETS_PING_MAX_PER_WINDOW_PROPERTY, pingLimit);
            }
        }
    }

    /** Answers every request of {@code tenant} with 200 "ok" on a daemon thread until {@code stop}. */
    static void serve(LegacyTestAgent tenant, AtomicBoolean stop) {
        Thread serving = new Thread(() -> {
            try {
                while (!stop.get()) {
                    LegacyTestAgent.Request r = tenant.poll(100);
                    if (r != null) {
                        tenant.reply(r.idText(), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                    }
                }
            } catch (Exception ignored) {
                // the test is over
            }
        }, "legacy-tenant");
        serving.setDaemon(true);
        serving.start();
    }
}
