package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wstunnel.cli.Agent;
import io.wstunnel.srv.TunnelServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The same agent (one {@link Agent}, never restarted) loses its socket to the real server and dials
 * again by itself: after an admin disconnect, and after the server restarts on the same port. The
 * next request goes through the new socket.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentReconnectE2ETest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withWireMock();

    @BeforeEach
    void stub() {
        tunnel.wireMock().stubFor(get(urlEqualTo("/r")).willReturn(aResponse().withStatus(200).withBody("served")));
    }

    /** The ids ("a1", "a2", ...) of the agent sockets the server holds, from GET /admin/auditing (loopback). */
    private List<String> agentIds(int port) throws Exception {
        HttpResponse<String> r = tunnel.plainGet("http://127.0.0.1:" + port + "/admin/auditing");
        assertThat(r.statusCode()).as("/admin/auditing").isEqualTo(200);
        return JSON.readTree(r.body()).findValuesAsText("agent_id");
    }

    private void assertServed(String when) throws Exception {
        HttpResponse<String> r = tunnel.callerGet("/r");
        assertThat(r.statusCode()).as("status %s", when).isEqualTo(200);
        assertThat(r.body()).as("body %s", when).isEqualTo("served");
    }

    @Test
    void theAgentReconnectsAfterTheServerClosesItsSocket() throws Exception {
        assertServed("before the disconnect");
        List<String> before = agentIds(tunnel.serverPort());
        assertThat(before).hasSize(1);

        HttpResponse<String> cut = tunnel.client().send(HttpRequest.newBuilder(URI.create(
                        tunnel.serverUrl() + "/admin/agents/" + before.get(0) + "/disconnect"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(cut.statusCode()).as("admin disconnect: %s", cut.body()).isEqualTo(200);
        assertThat(JSON.readTree(cut.body()).path("disconnected").asText()).isEqualTo(before.get(0));

        // A new socket, not the old one: the server gives every socket a new id.
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(agentIds(tunnel.serverPort())).hasSize(1).doesNotContain(before.get(0)));
        assertThat(tunnel.agent().isConnected()).isTrue();
        assertServed("after the reconnect");
        tunnel.wireMock().verify(2, getRequestedFor(urlEqualTo("/r")));
    }

    @Test
    void theAgentReconnectsToAServerRestartedOnTheSamePort() throws Exception {
        assertServed("before the restart");
        TunnelServer first = tunnel.tunnelServer();
        int port = first.port();
        first.stop(Duration.ZERO);
        await().atMost(Duration.ofSeconds(10)).until(() -> !tunnel.agent().isConnected());

        TunnelServer again = TunnelServer.start(first.config().toBuilder().port(port).build());
        tunnel.closeAfter(() -> again.stop(Duration.ZERO));
        assertThat(again.port()).isEqualTo(port);

        assertThat(tunnel.agent().awaitConnected(Duration.ofSeconds(15))).as("agent back on the restarted server").isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> again.agents() == 1);
        assertServed("after the restart");
        tunnel.wireMock().verify(2, getRequestedFor(urlEqualTo("/r")));
    }
}
