package io.wstunnel.srv.agent;

import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.auth.AgentAuth;
import io.wstunnel.srv.tunnel.TokenRegistry;
import java.io.IOException;
import java.util.Map;
import java.util.function.Consumer;

/** For tests of other packages: an agent endpoint with the {@code beforeJoin} hook, and a raw handshake. */
public final class AgentEndpoints {
    private AgentEndpoints() {
    }

    /** No passwords, never shutting down, sessions not tracked; {@code beforeJoin} as in {@link AgentEndpoint}. */
    public static AgentEndpoint withBeforeJoin(ServerConfig config, TokenRegistry registry, Consumer<String> beforeJoin) {
        return new AgentEndpoint(config, AgentAuth.plain(Map.of()), registry, () -> false,
                new AgentEndpoint.SessionTracker() {
                    @Override
                    public void opened(V2Session s) {
                    }

                    @Override
                    public void closed(V2Session s) {
                    }
                }, beforeJoin);
    }

    /** A v2 handshake on a new connection to {@code /_tunnel}: its status line and body. */
    public static String rawHandshake(int port, String token) throws IOException {
        return LateRefusalTest.rawHandshake(port, token);
    }
}
