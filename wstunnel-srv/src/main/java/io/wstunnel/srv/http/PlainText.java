package io.wstunnel.srv.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** Plain-text answers: every error body the server emits goes through here. */
public final class PlainText {
    private PlainText() {
    }

    /** Sends {@code text} (no trailing newline added) with the given status and ends the exchange. */
    public static void send(HttpServerExchange exchange, int status, String text) {
        exchange.setStatusCode(status);
        if (status == 506) {
            exchange.setReasonPhrase("Variant Also Negotiates"); // Undertow has no phrase for it; Go sends this
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        exchange.getResponseHeaders().put(Headers.X_CONTENT_TYPE_OPTIONS, "nosniff");
        if (io.wstunnel.srv.tunnel.NoAgent.is(status, text)) {
            // whichever path answers it (router, queue, grace expiry), the "no agent" 503 says when to retry
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, io.wstunnel.srv.tunnel.NoAgent.RETRY_AFTER_SECONDS);
        }
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
        exchange.getResponseSender().send(java.nio.ByteBuffer.wrap(body));
    }

    /**
     * Answers 400 to a WebSocket upgrade the server would answer itself although RFC 6455 §4.2.1 does
     * not allow it: another version than 13 (with {@code Sec-WebSocket-Version: 13}), or a malformed key.
     *
     * @return true if it answered
     */
    public static boolean refusedWebSocketHandshake(HttpServerExchange exchange) {
        String error = io.wstunnel.srv.ws.WsFrames.handshakeError(
                exchange.getRequestHeaders().getFirst(Headers.SEC_WEB_SOCKET_VERSION),
                exchange.getRequestHeaders().getFirst(Headers.SEC_WEB_SOCKET_KEY));
        if (error == null) {
            return false;
        }
        if (error.equals(io.wstunnel.srv.ws.WsFrames.BAD_VERSION)) {
            exchange.getResponseHeaders().put(Headers.SEC_WEB_SOCKET_VERSION, "13");
        }
        send(exchange, 400, error);
        return true;
    }

    /** The peer's IP address as text. */
    public static String remote(HttpServerExchange exchange) {
        InetSocketAddress a = exchange.getSourceAddress();
        if (a == null) {
            return "unknown";
        }
        return a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    }
}
