package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A token whose agent has gone (LEGACY.md §7, last bullet): while an agent may still come back
 * (the -reconnect-grace after the last one left) requests wait and are served when one reconnects;
 * after it they fail at once with 503 + Retry-After instead of waiting out -httptimeout (30 s here).
 * Only agent inactivity makes the server forget the token.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentGoneE2ETest {
    static final String NO_AGENT = "No agent connected to this tunnel for over 1 s";

    static void stopAgentAndAwaitServerSeesIt(TunnelFixture tunnel) {
        tunnel.agent().stop(Duration.ZERO);
        await().atMost(Duration.ofSeconds(10)).until(() -> tunnel.tunnelServer().agents() == 0);
    }

    static void assertNoAgent(HttpResponse<String> r) {
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo(NO_AGENT);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("30");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    }

    @Nested
    class WithinTheGrace {
        @RegisterExtension
        final TunnelFixture tunnel = TunnelFixture.withWireMock()
                .server(b -> b.reconnectGrace(Duration.ofSeconds(8)).httpTimeout(Duration.ofSeconds(30)));

        @Test
        void aRequestQueuedWhileTheAgentIsAwayIsServedWhenANewAgentConnects() throws Exception {
            tunnel.wireMock().stubFor(get(urlEqualTo("/back")).willReturn(aResponse().withStatus(200).withBody("served")));
            stopAgentAndAwaitServerSeesIt(tunnel);

            CompletableFuture<HttpResponse<String>> waiting = tunnel.client().sendAsync(
                    tunnel.callerRequest("/back").GET().build(), HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(5)).until(() -> tunnel.tunnelServer().inFlight() == 1);
            assertThat(waiting).as("queued until an agent connects").isNotDone();

            tunnel.startAgent();
            HttpResponse<String> r = waiting.get(20, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("served");
        }
    }

    @Nested
    class AfterTheGrace {
        @RegisterExtension
        final TunnelFixture tunnel = TunnelFixture.withWireMock()
                .server(b -> b.reconnectGrace(Duration.ofSeconds(1)).httpTimeout(Duration.ofSeconds(30)));

        @Test
        void queuedAndNewRequestsFailFastWith503AndAReturningAgentIsServedAgain() throws Exception {
            tunnel.wireMock().stubFor(get(urlEqualTo("/x")).willReturn(aResponse().withStatus(200).withBody("back")));
            stopAgentAndAwaitServerSeesIt(tunnel);

            long start = System.nanoTime();
            HttpResponse<String> queued = tunnel.callerGet("/x"); // arrives within the grace: waits, then fails
            double queuedSeconds = (System.nanoTime() - start) / 1e9;
            assertNoAgent(queued);
            assertThat(queuedSeconds).as("seconds a queued request waited (grace 1 s, -httptimeout 30 s)").isLessThan(6.0);

            long later = System.nanoTime();
            HttpResponse<String> refused = tunnel.callerGet("/x");
            assertNoAgent(refused);
            assertThat((System.nanoTime() - later) / 1e9).as("seconds until a new request was refused").isLessThan(1.0);
            assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl()))).isEmpty();

            tunnel.startAgent();
            HttpResponse<String> served = tunnel.callerGet("/x");
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(served.body()).isEqualTo("back");
        }
    }

    @Nested
    class ForgottenAfterTheIdleTimeout {
        @RegisterExtension
        final TunnelFixture tunnel = TunnelFixture.withWireMock().server(b -> b.reconnectGrace(Duration.ofSeconds(1))
                .tokenIdleTimeout(Duration.ofSeconds(3)).httpTimeout(Duration.ofSeconds(30)));

        @Test
        void aTokenPolledByCallersIsStillForgottenAndThenGetsTheGoWording() throws Exception {
            stopAgentAndAwaitServerSeesIt(tunnel);
            // Callers keep asking, a new request every 200 ms whether or not earlier ones were answered:
            // caller traffic is not agent activity, so the token is still forgotten after the idle timeout.
            List<CompletableFuture<HttpResponse<String>>> sent = new CopyOnWriteArrayList<>();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
                sent.add(tunnel.client().sendAsync(tunnel.callerRequest("/poll").GET().build(),
                        HttpResponse.BodyHandlers.ofString()));
                return sent.stream().anyMatch(f -> f.isDone() && !f.isCompletedExceptionally() && f.join().statusCode() == 404);
            });
            CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
            for (CompletableFuture<HttpResponse<String>> f : sent) {
                HttpResponse<String> r = f.get();
                assertThat(r.statusCode() + " " + r.body()).isIn("503 " + NO_AGENT,
                        "404 Tunnel not found (or not seen in a long time)");
            }
            assertThat(sent).as("answered 503 while the token was still known")
                    .anyMatch(f -> f.join().statusCode() == 503);
        }
    }
}
