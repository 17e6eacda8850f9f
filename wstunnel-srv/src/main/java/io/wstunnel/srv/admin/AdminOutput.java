package io.wstunnel.srv.admin;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.wstunnel.srv.http.PlainText;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Response writers shared by the admin endpoints (each sends a complete, fixed-length body). */
final class AdminOutput {
    private AdminOutput() {
    }

    static void json(HttpServerExchange exchange, Map<String, Object> body) {
        try {
            exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
            send(exchange, 200, "application/json", AdminHub.JSON.writeValueAsString(body) + "\n");
        } catch (IOException e) {
            PlainText.send(exchange, 500, "Cannot encode JSON");
        }
    }

    static void send(HttpServerExchange exchange, int status, String type, String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, type);
        exchange.getResponseHeaders().put(Headers.X_CONTENT_TYPE_OPTIONS, "nosniff");
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }
}
