package io.wstunnel.srv.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Builds the head the agent will see from a caller's exchange. */
final class RequestHeads {
    /** Never forwarded besides the hop-by-hop fields: routing and the interim-response handshake. */
    private static final Set<String> DROPPED = Set.of("host", "x-token", "expect");

    private RequestHeads() {
    }

    static RequestHead build(HttpServerExchange exchange, String target) {
        List<Header> fields = new ArrayList<>(exchange.getRequestHeaders().size() + 3);
        for (HeaderValues values : exchange.getRequestHeaders()) {
            String name = values.getHeaderName().toString();
            for (String v : values) {
                fields.add(new Header(name, v));
            }
        }
        Headers headers = new Headers(fields).withoutHopByHop().without(DROPPED);
        String host = exchange.getRequestHeaders().getFirst(io.undertow.util.Headers.HOST);
        if (host == null) {
            host = exchange.getHostAndPort();
        }
        String scheme = exchange.getRequestScheme();
        String xff = headers.first("X-Forwarded-For");
        String peer = PlainText.remote(exchange);
        headers = headers.replacing("X-Forwarded-For", xff == null ? peer : xff + ", " + peer);
        if (!headers.contains("X-Forwarded-Proto")) {
            headers = headers.with("X-Forwarded-Proto", scheme);
        }
        if (!headers.contains("X-Forwarded-Host")) {
            headers = headers.with("X-Forwarded-Host", host);
        }
        return new RequestHead(exchange.getRequestMethod().toString(), target, host, scheme, headers);
    }

    /** True when a body follows the head (a positive Content-Length, or chunked). */
    static boolean hasBody(HttpServerExchange exchange) {
        long length = exchange.getRequestContentLength();
        if (length >= 0) {
            return length > 0;
        }
        return exchange.getRequestHeaders().contains(io.undertow.util.Headers.TRANSFER_ENCODING);
    }
}
