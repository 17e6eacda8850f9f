package io.wstunnel.srv.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.undertow.Undertow;
import io.wstunnel.protocol.Subprotocol;
import io.wstunnel.srv.MessageSocket;
import io.wstunnel.srv.RawCaller;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.auth.AgentAuth;
import io.wstunnel.srv.tunnel.StubAgent;
import io.wstunnel.srv.tunnel.TokenRegistry;
import io.wstunnel.srv.tunnel.Tunnel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An agent whose handshake passed the early limit check but which loses the last place before it
 * joins (another handshake took it; the endpoint's test hook plays that one) is already upgraded: it
 * is closed with the refusal's close code and the very text the early check answers over HTTP.
 * Over a real endpoint and real sockets, for both framings.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LateRefusalTest {
    static final String TOKEN = "late-refusal-token-aaaaaaaa";
    static final String OTHER = "late-refusal-token-bbbbbbbb";

    TokenRegistry registry;
    /** "token status" for each late refusal the endpoint reported (the server counts them as refusals). */
    final java.util.List<String> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
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
    }

    int start(int maxAgents, int maxTunnels, Consumer<String> beforeJoin) {
        registry = new TokenRegistry(10, maxAgents, maxTunnels, Tunnel.AgentListener.NONE, Duration.ofSeconds(60),
                System::nanoTime);
        ServerConfig config = ServerConfig.builder().host("127.0.0.1").port(0).build();
        AgentEndpoint endpoint = new AgentEndpoint(config, AgentAuth.plain(Map.of()), registry, () -> false,
                new AgentEndpoint.SessionTracker() {
                    @Override
                    public void opened(V2Session s) {
                    }

                    @Override
                    public void closed(V2Session s) {
                    }

                    @Override
                    public void refusedLate(String token, String remote, int status) {
                        reported.add(token + " " + status);
                    }
                }, beforeJoin);
        server = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(2)
                .setHandler(endpoint).build();
        server.start();
        return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    @ParameterizedTest(name = "legacy framing: {0}")
    @ValueSource(booleans = {false, true})
    void anAgentLosingTheTokensLastPlaceIsClosedWith1008AndTheTextOfThe429(boolean legacy) throws Exception {
        int port = start(1, 0, token -> registry.join(token, t -> new StubAgent()));

        agent = MessageSocket.open(MessageSocket.tunnel(port), legacy ? null : Subprotocol.V2, TOKEN, Map.of(), null,
                b -> b);

        assertThat(agent.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
        String early = "Maximum number of clients (1) reached for this token";
        assertThat(agent.closeReason).isEqualTo(early);
        assertThat(registry.get(TOKEN).agentCount()).as("only the one that took the place").isOne();
        assertThat(reported).containsExactly(TOKEN + " 429");
        assertThat(rawHandshake(port, TOKEN)).as("the early check's answer now")
                .isEqualTo("HTTP/1.1 429 Too Many Requests\n" + early);
    }

    @ParameterizedTest(name = "legacy framing: {0}")
    @ValueSource(booleans = {false, true})
    void anAgentLosingTheServersLastTunnelIsClosedWith1013AndTheTextOfThe503(boolean legacy) throws Exception {
        int port = start(0, 1, token -> registry.join(OTHER, t -> new StubAgent()));

        agent = MessageSocket.open(MessageSocket.tunnel(port), legacy ? null : Subprotocol.V2, TOKEN, Map.of(), null,
                b -> b);

        assertThat(agent.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1013);
        String early = "Server tunnel limit reached (1 tunnels); try again later";
        assertThat(agent.closeReason).isEqualTo(early);
        assertThat(registry.size()).isOne();
        assertThat(registry.get(TOKEN)).isNull();
        assertThat(reported).containsExactly(TOKEN + " 503");
        assertThat(rawHandshake(port, TOKEN)).as("the early check's answer now")
                .isEqualTo("HTTP/1.1 503 Service Unavailable\n" + early);
    }

    /** A v2 handshake on a new connection: its status line and body. */
    static String rawHandshake(int port, String token) throws IOException {
        try (RawCaller c = new RawCaller(port)) {
            c.send("GET /_tunnel HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nOrigin: " + token + "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + Subprotocol.V2 + "\r\n\r\n");
            String[] lines = c.head().split("\r\n");
            int length = 0;
            for (String line : lines) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return lines[0] + "\n" + new String(c.body(length).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        }
    }
}
