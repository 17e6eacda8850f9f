package io.wstunnel.srv.legacy;

import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.tunnel.TokenRegistry;
import java.util.function.IntConsumer;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts a {@link LegacySession} for an agent whose upgrade offered none of our subprotocols. */
public final class LegacyAgents {
    private static final Logger log = LoggerFactory.getLogger(LegacyAgents.class);
    /**
     * How long one stalled upload may hold a legacy socket's outbound slot while other requests wait
     * (system property {@code wstunnel.legacy.uploadStallMillis}, default 10 s).
     */
    static Duration uploadStall() {
        return Duration.ofMillis(Math.max(100, Long.getLong("wstunnel.legacy.uploadStallMillis", 10_000L)));
    }

    private LegacyAgents() {
    }

    /** True when the 101 selected no subprotocol: the agent speaks the legacy framing. */
    public static boolean isLegacy(WebSocketChannel channel) {
        String p = channel.getSubProtocol();
        return p == null || p.isEmpty();
    }

    /**
     * Joins the token's tunnel and starts serving; the handshake checks have passed.
     *
     * @param refusedLate told the status of the refusal, before the close, if the agent cannot join after all
     */
    public static void start(WebSocketChannel channel, TokenRegistry registry, String token, ServerConfig config,
                             String remote, String clientVersion, IntConsumer refusedLate) {
        TokenRegistry.JoinResult<LegacySession> joined = registry.join(token, tunnel -> new LegacySession(channel, tunnel,
                config.wsTimeout(), uploadStall(), config.settings().initialWindow(), remote, clientVersion, () -> { }));
        if (joined.refused() != null) { // passed the handshake's early checks, lost the last place or was blocked: close as V2 does
            joined.refused().log(log, remote, token);
            refusedLate.accept(joined.refused().status());
            WebSockets.sendClose(joined.refused().closeCode(), joined.refused().text(), channel, null);
            return;
        }
        log.info("tunnel {} agent connected from {} (version '{}', legacy framing)", joined.tunnel().tokenId(), remote,
                clientVersion);
        joined.agent().start();
    }
}
