package io.wstunnel.srv.streams;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.util.SameThreadExecutor;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.srv.http.PlainText;
import io.wstunnel.srv.http.RequestLog;
import io.wstunnel.srv.tunnel.AgentConnection;
import io.wstunnel.srv.tunnel.Tunnel;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a routed caller request becomes a byte stream instead of an HTTP exchange:
 * {@code Upgrade: websocket} → {@link WebSocketPassthrough}; {@code /_tcp/<name>} → {@link TcpBridge}.
 */
public final class StreamRoutes {
    public static final String TCP_PREFIX = "/_tcp/";
    /** Names an agent may give its TCP targets ({@code -tcp name=host:port}). */
    public static final Pattern TCP_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** Keep-alive ping period toward TCP stream clients. */
    static final long PING_MILLIS = 25_000;
    /**
     * System property: caller-bound idle time (ms) after which a WebSocket passthrough injects a PING
     * toward the caller, at a frame boundary; 0 disables. Default {@link #PING_MILLIS}.
     */
    public static final String WS_PING_PROPERTY = "wstunnel.wsPingMillis";

    /** The passthrough keep-alive period in force ({@link #WS_PING_PROPERTY}), read per new stream. */
    static long wsPingMillis() {
        return Math.max(0, Long.getLong(WS_PING_PROPERTY, PING_MILLIS));
    }

    private StreamRoutes() {
    }

    /** True for a GET carrying {@code Upgrade: websocket} (RFC 6455 §4.1). */
    public static boolean isWebSocketUpgrade(HttpServerExchange exchange) {
        if (!exchange.getRequestMethod().equals(Methods.GET)) {
            return false;
        }
        for (String v : exchange.getRequestHeaders().get(Headers.UPGRADE) == null ? List.<String>of()
                : exchange.getRequestHeaders().get(Headers.UPGRADE)) {
            for (String token : v.split(",")) {
                if (token.trim().toLowerCase(Locale.ROOT).equals("websocket")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** @return the TCP target name of a tunnelled path {@code /_tcp/<name>}, "" for a bad name, or null */
    public static String tcpName(String path) {
        if (!path.startsWith(TCP_PREFIX)) {
            return null;
        }
        String rest = path.substring(TCP_PREFIX.length());
        int q = rest.indexOf('?');
        if (q >= 0) {
            rest = rest.substring(0, q);
        }
        return TCP_NAME.matcher(rest).matches() ? rest : "";
    }

    /** True while the tunnel has no agent (the stream may wait for one) or one that carries {@code kind}. */
    static boolean someAgentSupports(Tunnel tunnel, StreamKind kind) {
        List<AgentConnection> agents = tunnel.agents();
        return agents.isEmpty() || agents.stream().anyMatch(a -> a.supports(kind));
    }

    /**
     * Takes the request if it is a byte stream; call where the request would become a tunnelled HTTP
     * exchange (token checked, tunnel found).
     *
     * @param path the path after the token (or the raw path with X-Token), without the query
     * @param head the head an HTTP exchange would carry
     * @return true if the request was taken (answered or being bridged)
     */
    public static boolean route(HttpServerExchange exchange, Tunnel tunnel, String path, RequestHead head, String requestId,
                                long timeoutMillis, int receiveWindow, RequestLog requestLog) throws Exception {
        String tcp = tcpName(path);
        boolean upgrade = isWebSocketUpgrade(exchange);
        if (tcp != null) {
            if (tcp.isEmpty()) {
                refuse(exchange, tunnel, requestLog, path, "bad_tcp_name",
                        "Bad TCP target name in " + TCP_PREFIX + "<name> (letters, digits, '.', '_', '-')");
                return true;
            }
            if (!upgrade) {
                refuse(exchange, tunnel, requestLog, path, "tcp_without_websocket",
                        "TCP targets are reached with a WebSocket (GET with Upgrade: websocket)");
                return true;
            }
            if (PlainText.refusedWebSocketHandshake(exchange)) {
                return true; // answered here: Undertow's handshake below would take any key, or 404 another version
            }
            RequestHead tcpHead = new RequestHead("GET", tcp, head.authority(), head.scheme(),
                    head.headers().without((Header h) -> !h.name().regionMatches(true, 0, "X-Forwarded-", 0, 12)));
            new WebSocketProtocolHandshakeHandler((io.undertow.websockets.WebSocketConnectionCallback) (ex, channel) -> new TcpBridge(channel, tunnel, tcpHead, requestId,
                    timeoutMillis, PING_MILLIS, receiveWindow, requestLog, head.target()).start()).handleRequest(exchange);
            return true;
        }
        if (upgrade) {
            WebSocketPassthrough ws = new WebSocketPassthrough(exchange, tunnel, head, requestId, timeoutMillis, receiveWindow,
                    requestLog);
            exchange.dispatch(SameThreadExecutor.INSTANCE, ws::start);
            return true;
        }
        return false;
    }

    /** A 400 before any stream starts: counted and logged as the router's own refusals are. */
    private static void refuse(HttpServerExchange exchange, Tunnel tunnel, RequestLog requestLog, String path,
                               String reason, String text) {
        requestLog.events().callerRefused(tunnel.token(), PlainText.remote(exchange), 400, reason);
        requestLog.refused(tunnel.token(), exchange.getRequestMethod().toString(), path, 400, reason);
        PlainText.send(exchange, 400, text);
    }
}
