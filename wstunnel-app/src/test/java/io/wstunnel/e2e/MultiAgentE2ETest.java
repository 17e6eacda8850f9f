package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Several agents on one token share the load; when one leaves, the other serves everything. Each
 * agent has its own backend (A = the fixture's WireMock, B = a second one) so the test can see who
 * served what.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MultiAgentE2ETest {

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withWireMock();

    @Test
    void twoAgentsShareConcurrentRequestsAndOneSurvivesTheOther() throws Exception {
        WireMockServer backendB = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1").containerThreads(30));
        backendB.start();
        tunnel.closeAfter(backendB::stop);
        tunnel.wireMock().stubFor(get(urlPathEqualTo("/work"))
                .willReturn(aResponse().withStatus(200).withBody("A").withFixedDelay(1000)));
        backendB.stubFor(get(urlPathEqualTo("/work"))
                .willReturn(aResponse().withStatus(200).withBody("B").withFixedDelay(1000)));
        tunnel.startAgent(tunnel.agentConfig().server(URI.create("http://127.0.0.1:" + backendB.port())).build());

        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            futures.add(tunnel.client().sendAsync(tunnel.callerRequest("/work?i=" + i).GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        int a = 0;
        int bCount = 0;
        for (CompletableFuture<HttpResponse<String>> f : futures) {
            HttpResponse<String> r = f.get();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isIn("A", "B");
            if (r.body().equals("A")) {
                a++;
            } else {
                bCount++;
            }
        }
        assertThat(a).as("requests served by agent A (of 10 concurrent)").isGreaterThan(0);
        assertThat(bCount).as("requests served by agent B (of 10 concurrent)").isGreaterThan(0);
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl())).size()
                + backendB.findAll(anyRequestedFor(anyUrl())).size()).as("requests at both backends").isEqualTo(10);

        tunnel.agent().stop(Duration.ZERO);
        await().atMost(Duration.ofSeconds(10)).until(() -> !tunnel.agent().isConnected());
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = tunnel.callerGet("/work?after=" + i);
            assertThat(r.statusCode()).as("request %d after agent A left", i).isEqualTo(200);
            assertThat(r.body()).as("request %d after agent A left", i).isEqualTo("B");
        }
    }

    /**
     * Least in flight first: agent A holds 3 requests, agent B 1; every further request goes to B
     * (round robin, random or "first agent that accepts" would send some to A).
     */
    @Test
    void requestsGoToTheAgentWithTheFewestRequestsInFlight() throws Exception {
        tunnel.agent().stop(Duration.ZERO);
        await().atMost(Duration.ofSeconds(10)).until(() -> tunnel.tunnelServer().agents() == 0);
        HeldBackend a = tunnel.closeAfter(new HeldBackend("A"));
        HeldBackend b = tunnel.closeAfter(new HeldBackend("B"));
        tunnel.startAgent(tunnel.agentConfig().server(URI.create(a.url())).build());

        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(tunnel.client().sendAsync(tunnel.callerRequest("/hold?i=" + i).GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> a.requests.get() == 3);
        tunnel.startAgent(tunnel.agentConfig().server(URI.create(b.url())).build());
        held.add(tunnel.client().sendAsync(tunnel.callerRequest("/hold?i=3").GET().build(),
                HttpResponse.BodyHandlers.ofString()));
        await().atMost(Duration.ofSeconds(10)).until(() -> a.requests.get() + b.requests.get() == 4);
        assertThat(b.requests.get()).as("the 4th held request, while A has 3 in flight and B none, went to B").isEqualTo(1);

        for (int i = 0; i < 8; i++) {
            HttpResponse<String> r = tunnel.callerGet("/quick?i=" + i);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).as("quick request %d while A has 3 in flight and B 1", i).isEqualTo("B quick");
        }
        assertThat(a.requests.get()).as("requests at A's backend").isEqualTo(3);
        assertThat(b.requests.get()).as("requests at B's backend").isEqualTo(9);

        a.release.countDown();
        b.release.countDown();
        for (int i = 0; i < held.size(); i++) {
            HttpResponse<String> r = held.get(i).get(20, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).as("held request %d", i).isEqualTo(i < 3 ? "A held" : "B held");
        }
    }

    /** A local service that holds {@code /hold} requests until released and answers others at once. */
    private static final class HeldBackend implements AutoCloseable {
        final String name;
        final AtomicInteger requests = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        private final HttpServer http;
        private final ExecutorService pool = Executors.newCachedThreadPool();

        HeldBackend(String name) throws IOException {
            this.name = name;
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
            http.setExecutor(pool);
            http.createContext("/", ex -> {
                requests.incrementAndGet();
                boolean hold = ex.getRequestURI().getPath().equals("/hold");
                try {
                    if (hold && !release.await(30, TimeUnit.SECONDS)) {
                        ex.sendResponseHeaders(500, -1);
                        ex.close();
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                byte[] body = (name + (hold ? " held" : " quick")).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            http.start();
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort();
        }

        @Override
        public void close() {
            release.countDown();
            http.stop(0);
            pool.shutdownNow();
        }
    }
}
