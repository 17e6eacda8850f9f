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

    /**
     * @param fromTrustedProxy the socket peer is one of {@code -trusted-proxies}: its forwarding headers
     *                         are believed and extended. Anyone else's are replaced by what this server
     *                         sees, so a caller cannot make the local service believe another client
     *                         address, scheme or host.
     */
    static RequestHead build(HttpServerExchange exchange, String target, boolean fromTrustedProxy) {
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
        String peer = PlainText.remote(exchange);
        if (!fromTrustedProxy) {
            return new RequestHead(exchange.getRequestMethod().toString(), target, host, scheme,
                    headers.without(RequestHeads::forwarding).with("X-Forwarded-For", peer)
                            .with("X-Forwarded-Proto", scheme).with("X-Forwarded-Host", host));
        }
        List<String> chain = headers.all("X-Forwarded-For");
        headers = headers.replacing("X-Forwarded-For", chain.isEmpty() ? peer : String.join(", ", chain) + ", " + peer);
        if (!headers.contains("X-Forwarded-Proto")) {
            headers = headers.with("X-Forwarded-Proto", scheme);
        }
        if (!headers.contains("X-Forwarded-Host")) {
            headers = headers.with("X-Forwarded-Host", host);
        }
        return new RequestHead(exchange.getRequestMethod().toString(), target, host, scheme, headers);
    }

    /** Fields that tell a server who the client is or how it came (believed only from trusted proxies). */
    private static boolean forwarding(Header h) {
        String n = h.name();
        return n.regionMatches(true, 0, "X-Forwarded-", 0, 12) || n.equalsIgnoreCase("Forwarded")
                || n.equalsIgnoreCase("X-Real-IP");
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
