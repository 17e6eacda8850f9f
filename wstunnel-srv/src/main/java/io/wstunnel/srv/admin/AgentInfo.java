package io.wstunnel.srv.admin;

import io.wstunnel.srv.tunnel.AgentConnection;
import io.wstunnel.srv.tunnel.Tunnel;
import java.time.Instant;

/** A connected agent socket as the operator side sees it. */
public record AgentInfo(String agentId, Tunnel tunnel, AgentConnection connection, String protocol,
                        String clientVersion, String remoteAddress, Instant connectedAt) {
    public String tokenId() {
        return TokenIds.id(tunnel.token());
    }
}
