package io.wstunnel.srv.agent;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.websockets.WebSocketConnectionCallback;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.core.protocol.Handshake;
import io.undertow.websockets.core.protocol.version13.Hybi13Handshake;
import io.undertow.websockets.spi.WebSocketHttpExchange;
import io.wstunnel.protocol.Subprotocol;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.http.PlainText;
import io.wstunnel.srv.legacy.LegacyAgents;
import io.wstunnel.srv.tunnel.TokenRegistry;
import io.wstunnel.srv.ws.RawWebSocket;
import io.wstunnel.srv.ws.WsFrames;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * {@code GET <base>/_tunnel}: checks an agent's upgrade request (token, password, limits, framing)
 * with plain-text refusals, then completes the WebSocket handshake and starts its session.
 */
public final class AgentEndpoint implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(AgentEndpoint.class);
    private static final AttachmentKey<AgentHello> HELLO = AttachmentKey.create(AgentHello.class);

    /** What the handshake established about the agent. */
    record AgentHello(String token, String remote, String clientVersion, boolean legacy) {
    }

    /** Longest agent version kept (logs, admin views); Go agents send about 40 characters. */
    static final int MAX_VERSION = 100;

    /**
     * The agent's {@code X-Client-Version} as logs and admin views may show it: printable ASCII only
     * (anything else, terminal escapes included, becomes {@code ?}), at most {@link #MAX_VERSION}
     * characters; "" when absent.
     */
    static String shownVersion(String raw) {
        if (raw == null) {
            return "";
        }
        int n = Math.min(raw.length(), MAX_VERSION);
        StringBuilder b = new StringBuilder(n + 3);
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return raw.length() > MAX_VERSION ? b.append("...").toString() : b.toString();
    }

    private final ServerConfig config;
    private final io.wstunnel.srv.auth.AgentAuth auth;
    private final TokenRegistry registry;
    private final BooleanSupplier shuttingDown;
    private final SessionTracker tracker;
    private final WebSocketProtocolHandshakeHandler upgrade;
    private final Consumer<String> beforeJoin;

    /** Keeps the live sessions for shutdown and statistics. */
    public interface SessionTracker {
        void opened(V2Session s);

        void closed(V2Session s);

        /**
         * An agent whose handshake passed the early checks but that could not join after its 101 (a
         * raced limit, a block meanwhile): it is being closed with the refusal's code and text.
         */
        default void refusedLate(String token, String remote, int status) {
        }
    }

    /** Plain {@code -passwords} from the configuration, no client certificates. */
    public AgentEndpoint(ServerConfig config, TokenRegistry registry, BooleanSupplier shuttingDown, SessionTracker tracker) {
        this(config, io.wstunnel.srv.auth.AgentAuth.plain(config.passwords()), registry, shuttingDown, tracker);
    }

    /** @param auth passwords (plain and hashed) and the client-certificate check of agents */
    public AgentEndpoint(ServerConfig config, io.wstunnel.srv.auth.AgentAuth auth, TokenRegistry registry,
                         BooleanSupplier shuttingDown, SessionTracker tracker) {
        this(config, auth, registry, shuttingDown, tracker, token -> { });
    }

    /**
     * @param beforeJoin told the token of every upgraded agent just before it joins: tests take the last
     *                   place (or block the token) there, as a competing handshake (or the admin) would
     *                   between the early check and the join
     */
    AgentEndpoint(ServerConfig config, io.wstunnel.srv.auth.AgentAuth auth, TokenRegistry registry,
                  BooleanSupplier shuttingDown, SessionTracker tracker, Consumer<String> beforeJoin) {
        this.beforeJoin = beforeJoin;
        this.config = config;
        this.auth = auth;
        this.registry = registry;
        this.shuttingDown = shuttingDown;
        this.tracker = tracker;
        List<Handshake> handshakes = List.of(new Hybi13Handshake(Set.of(Subprotocol.V2), false));
        this.upgrade = new WebSocketProtocolHandshakeHandler(handshakes, (WebSocketConnectionCallback) this::onConnect);
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (!exchange.getRequestMethod().equals(Methods.GET)) {
            PlainText.send(exchange, 400, "Only GET requests are supported");
            return;
        }
        String upgradeHeader = exchange.getRequestHeaders().getFirst(Headers.UPGRADE);
        if (upgradeHeader == null || !upgradeHeader.equalsIgnoreCase("websocket")) {
            PlainText.send(exchange, 400, "Not a WebSocket upgrade");
            return;
        }
        String token = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
        String remote = PlainText.remote(exchange);
        if (token == null || token.isEmpty()) {
            PlainText.send(exchange, 400, "Origin header with rendez-vous token required");
            return;
        }
        if (token.length() < ServerConfig.MIN_TOKEN_LENGTH) {
            log.info("agent {} refused: token {} too short", remote, TokenRegistry.cut(token));
            PlainText.send(exchange, 400, "Rendez-vous token is too short (must be 16 chars)");
            return;
        }
        if (shuttingDown.getAsBoolean()) {
            PlainText.send(exchange, 503, "Server is shutting down");
            return;
        }
        String certError = auth.checkCertificate(exchange, token);
        if (certError != null) {
            log.info("agent {} refused for tunnel {}: {}", remote, TokenRegistry.cut(token), certError);
            PlainText.send(exchange, 403, certError);
            return;
        }
        io.wstunnel.srv.auth.Credential credential = auth.credential(token);
        if (credential != null && credential.expensive() && exchange.isInIoThread()) {
            exchange.dispatch(this); // PBKDF2 / bcrypt take CPU time: not on the I/O thread; the checks above run again
            return;
        }
        String authError = PasswordCheck.check(credential, token,
                exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION));
        if (authError != null) {
            log.info("agent {} refused for tunnel {}: {}", remote, TokenRegistry.cut(token), authError);
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Basic realm=\"wstunnel\"");
            PlainText.send(exchange, 401, authError);
            return;
        }
        TokenRegistry.Refusal full = registry.admission(token); // early, for a plain answer: join decides
        if (full != null) {
            full.log(log, remote, token);
            PlainText.send(exchange, full.status(), full.text());
            return;
        }
        if (PlainText.refusedWebSocketHandshake(exchange)) { // whichever framing it asks for (as Go)
            return;
        }
        // An agent offering none of our subprotocols speaks the legacy (Go) framing: see legacy/LegacySession.
        boolean legacy = !offers(exchange, Subprotocol.V2);
        String version = shownVersion(exchange.getRequestHeaders().getFirst("X-Client-Version"));
        AgentHello hello = new AgentHello(token, remote, version, legacy);
        if (legacy) {
            exchange.putAttachment(HELLO, hello);
            // Undertow's handshake echoes the Origin (a Go agent's token, in full) and adds the pre-RFC
            // Sec-WebSocket-Location; the Go server's 101 has neither (vectors srv-to-agent/00-*).
            exchange.addResponseCommitListener(ex -> {
                ex.getResponseHeaders().remove(Headers.ORIGIN);
                ex.getResponseHeaders().remove(Headers.SEC_WEB_SOCKET_LOCATION);
                ex.getResponseHeaders().remove(Headers.SEC_WEB_SOCKET_ORIGIN);
            });
            upgrade.handleRequest(exchange);
        } else {
            upgradeV2(exchange, hello);
        }
    }

    /** RFC 6455 §4.2 handshake for wstunnel.v2 (version and key checked); the socket is then ours ({@link RawWebSocket}). */
    private void upgradeV2(HttpServerExchange exchange, AgentHello hello) {
        String key = exchange.getRequestHeaders().getFirst(Headers.SEC_WEB_SOCKET_KEY);
        if (!io.undertow.util.Protocols.HTTP_1_1.equals(exchange.getProtocol())) {
            PlainText.send(exchange, 400, "WebSocket upgrade needs HTTP/1.1");
            return;
        }
        exchange.getResponseHeaders().put(Headers.UPGRADE, "websocket");
        exchange.getResponseHeaders().put(Headers.SEC_WEB_SOCKET_ACCEPT, WsFrames.acceptKey(key));
        exchange.getResponseHeaders().put(Headers.SEC_WEB_SOCKET_PROTOCOL, Subprotocol.V2);
        exchange.upgradeChannel((connection, ex) -> startV2(new RawWebSocket(connection, config.settings().maxFrameSize()), hello));
        exchange.endExchange();
    }

    private static boolean offers(HttpServerExchange exchange, String protocol) {
        io.undertow.util.HeaderValues offered = exchange.getRequestHeaders().get(Headers.SEC_WEB_SOCKET_PROTOCOL);
        if (offered == null) {
            return false;
        }
        for (String v : offered) {
            if (Arrays.stream(v.split(",")).map(String::trim).anyMatch(protocol::equals)) {
                return true;
            }
        }
        return false;
    }

    private void onConnect(WebSocketHttpExchange exchange, WebSocketChannel channel) {
        AgentHello hello = exchange.getAttachment(HELLO);
        if (hello != null && hello.legacy() && LegacyAgents.isLegacy(channel)) {
            beforeJoin.accept(hello.token());
            LegacyAgents.start(channel, registry, hello.token(), config, hello.remote(), hello.clientVersion(),
                    status -> tracker.refusedLate(hello.token(), hello.remote(), status));
            return;
        }
        IoUtils.safeClose(channel); // the legacy handshake only selects no subprotocol
    }

    private void startV2(RawWebSocket socket, AgentHello hello) {
        V2Session[] holder = new V2Session[1];
        beforeJoin.accept(hello.token());
        TokenRegistry.JoinResult<V2Session> joined = registry.join(hello.token(), tunnel -> holder[0] = new V2Session(
                socket, tunnel, config.settings(), config.wsTimeout(), config.maxQueuedBytesPerAgent(), hello.remote(),
                hello.clientVersion(), () -> tracker.closed(holder[0]), config.limits()));
        if (joined.refused() != null) {
            // Passed the early checks but lost the last place to another handshake, or the token was blocked
            // meanwhile: the 101 is out, so close.
            joined.refused().log(log, hello.remote(), hello.token());
            socket.start(message -> { }); // read (and drop) until the close handshake ends
            tracker.refusedLate(hello.token(), hello.remote(), joined.refused().status());
            socket.close(joined.refused().closeCode(), joined.refused().text());
            return;
        }
        V2Session session = joined.agent();
        tracker.opened(session);
        log.info("tunnel {} agent connected from {} (version '{}', {})", joined.tunnel().tokenId(), hello.remote(),
                hello.clientVersion(), Subprotocol.V2);
        session.start();
    }
}
