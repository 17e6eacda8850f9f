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
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
}
