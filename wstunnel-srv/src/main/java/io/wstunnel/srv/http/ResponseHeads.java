package io.wstunnel.srv.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.HttpTokens;
import io.wstunnel.protocol.ResponseHead;

/**
 * Puts the agent's response head on a caller's exchange: the one place both HTTP and WebSocket callers
 * get it. What goes on the caller's wire is valid HTTP whatever an agent sends (PROTOCOL.md §3.3): a
 * field whose name is not a token is dropped, and CR, LF and NUL in a value or the reason phrase
 * become a space (RFC 9110 §5.5), so no agent can split or smuggle a response.
 */
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
            exchange.setReasonPhrase(safe(head.reason()));
        }
        HeaderMap out = exchange.getResponseHeaders();
        for (Header field : head.headers().withoutHopByHop().fields()) {
            if (HttpTokens.isToken(field.name())) {
                out.add(HttpString.tryFromString(field.name()), safe(field.value()));
            }
        }
        return out;
    }

    /** {@code s} with CR, LF and NUL replaced by a space; {@code s} itself when it has none. */
    static String safe(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                return s.replace('\r', ' ').replace('\n', ' ').replace('\0', ' ');
            }
        }
        return s;
    }
}
