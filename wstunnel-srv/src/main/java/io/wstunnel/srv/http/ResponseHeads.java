package io.wstunnel.srv.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.ResponseHead;

/** Puts the agent's response head on a caller's exchange: the one place both HTTP and WebSocket callers get it. */
public final class ResponseHeads {
    private ResponseHeads() {
    }

    /**
     * Sets the status, the reason (unless empty) and every header field but the hop-by-hop ones.
     *
     * @return the exchange's response headers
     */
    public static HeaderMap apply(HttpServerExchange exchange, ResponseHead head) {
        exchange.setStatusCode(head.status());
        if (!head.reason().isEmpty()) {
            exchange.setReasonPhrase(head.reason());
        }
        HeaderMap out = exchange.getResponseHeaders();
        for (Header field : head.headers().withoutHopByHop().fields()) {
            out.add(HttpString.tryFromString(field.name()), field.value());
        }
        return out;
    }
}
