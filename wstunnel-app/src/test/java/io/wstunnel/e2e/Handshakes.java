package io.wstunnel.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Agent-side WebSocket handshakes made by hand, to see exactly how the server refuses them. */
final class Handshakes {

    private Handshakes() {
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A java.net.http WebSocket handshake to {@code <base>/_tunnel} offering wstunnel.v2. Returns the
     * refusal, or null when the server accepted (the socket is then closed again).
     */
    static WebSocketHandshakeException jdkHandshake(int port, String basePath, String origin, String authorization)
            throws InterruptedException, TimeoutException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        WebSocket.Builder b = client.newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .subprotocols("wstunnel.v2");
        if (origin != null) {
            b.header("Origin", origin);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            WebSocket ws = b.buildAsync(URI.create("ws://127.0.0.1:" + port + basePath + "/_tunnel"),
                    new WebSocket.Listener() { }).get(15, TimeUnit.SECONDS);
            ws.abort();
            return null;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException) {
                return (WebSocketHandshakeException) e.getCause();
            }
            throw new AssertionError("handshake failed other than by an HTTP refusal", e.getCause());
        }
    }

    /** The body of a refused java.net.http handshake as text, if the JDK kept it. */
    static String bodyOf(WebSocketHandshakeException e) {
        HttpResponse<?> r = e.getResponse();
        Object body = r.body();
        if (body instanceof byte[]) {
            return new String((byte[]) body, StandardCharsets.UTF_8);
        }
        return body == null ? null : body.toString();
    }

    /** The same handshake on a raw socket: status, headers and body exactly as the server sent them. */
    static RawHttp.Response rawHandshake(int port, String basePath, String origin, String authorization)
            throws IOException {
        StringBuilder head = new StringBuilder()
                .append("GET ").append(basePath).append("/_tunnel HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\n")
                .append("Upgrade: websocket\r\n")
                .append("Connection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
                .append("Sec-WebSocket-Version: 13\r\n")
                .append("Sec-WebSocket-Protocol: wstunnel.v2");
        if (origin != null) {
            head.append("\r\nOrigin: ").append(origin);
        }
        if (authorization != null) {
            head.append("\r\nAuthorization: ").append(authorization);
        }
        return RawHttp.exchange(port, head.toString());
    }
}
