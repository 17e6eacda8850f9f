package io.wstunnel.srv.streams;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The body of a refused upgrade (any answer but 101), buffered whole — at most
 * {@link WebSocketPassthrough#MAX_REFUSAL_BODY} bytes, the agent caps it far lower — and sent as an
 * ordinary response with a Content-Length. Used only on the passthrough's owner thread.
 */
final class RefusalBody {
    private final ArrayDeque<ByteBuffer> parts = new ArrayDeque<>();
    private int bytes;

    /** @return false, keeping nothing more, when the body has grown beyond the cap */
    boolean add(ByteBuffer data) {
        bytes += data.remaining();
        if (bytes > WebSocketPassthrough.MAX_REFUSAL_BODY) {
            return false;
        }
        if (data.hasRemaining()) {
            parts.add(data);
        }
        return true;
    }

    /** Sends what was buffered as the response's body and ends the exchange; returns its length. */
    int send(HttpServerExchange exchange) {
        int n = 0;
        for (ByteBuffer b : parts) {
            n += b.remaining();
        }
        ByteBuffer body = ByteBuffer.allocate(n);
        parts.forEach(body::put);
        parts.clear();
        body.flip();
        exchange.getResponseHeaders().remove(Headers.TRANSFER_ENCODING);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, n);
        exchange.getResponseSender().send(body);
        return n;
    }

    /** Lets go of what was buffered. */
    void discard() {
        parts.clear();
    }
}
