package io.wstunnel.srv.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.undertow.Undertow;
import io.wstunnel.protocol.Subprotocol;
import io.wstunnel.srv.MessageSocket;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.agent.AgentEndpoints;
import io.wstunnel.srv.tunnel.TokenRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A token blocked after an agent's upgrade passed the block check but before the agent joined (the
 * endpoint's test hook blocks it there, as the admin API would): the agent is already upgraded, so it
 * is closed with 1008 and the text of the early 403, and never joins. Real endpoint, real sockets,
 * both framings.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LateBlockTest {
    static final String TOKEN = "late-block-token-aaaaaaaaaa";

    AdminHub hub;
    Undertow server;
    MessageSocket<byte[]> agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.abort();
        }
        if (server != null) {
            server.stop();
        }
        hub.close();
    }

    @ParameterizedTest(name = "legacy framing: {0}")
    @ValueSource(booleans = {false, true})
    void anAgentWhoseTokenIsBlockedBeforeItJoinsIsClosedWith1008AndTheTextOfThe403(boolean legacy) throws Exception {
        ServerConfig config = ServerConfig.builder().host("127.0.0.1").port(0).build();
        hub = new AdminHub(config);
        TokenRegistry registry = new TokenRegistry(10, 0, 0, hub, Duration.ofSeconds(60), System::nanoTime);
        hub.attach(registry);
        server = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(2)
                .setHandler(hub.observeAgents(AgentEndpoints.withBeforeJoin(config, registry,
                        token -> hub.control.block(TokenIds.id(token), "test"))))
                .build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();

        agent = MessageSocket.open(MessageSocket.tunnel(port), legacy ? null : Subprotocol.V2, TOKEN, Map.of(), null,
                b -> b);

        assertThat(agent.closed.get(10, TimeUnit.SECONDS)).as("closed, not left joined to a blocked token")
                .isEqualTo(1008);
        String early = "Tunnel token blocked by the server administrator";
        assertThat(agent.closeReason).isEqualTo(early);
        assertThat(registry.get(TOKEN)).as("no tunnel made for it").isNull();
        assertThat(hub.agents.size()).isZero();
        assertThat(AgentEndpoints.rawHandshake(port, TOKEN)).as("the early check's answer now")
                .isEqualTo("HTTP/1.1 403 Forbidden\n" + early);
    }
}
