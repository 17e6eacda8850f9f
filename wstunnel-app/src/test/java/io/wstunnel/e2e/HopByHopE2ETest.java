package io.wstunnel.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.Headers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1: Connection and the fields it names, Keep-Alive, TE, Upgrade,
 * Proxy-*, Trailer, Transfer-Encoding) never cross the tunnel in either direction; end-to-end
 * headers do. Raw sockets on the caller side, a JDK HttpServer as the local service, so that both
 * ends see headers exactly as sent.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HopByHopE2ETest {

    private final AtomicReference<Map<String, List<String>>> seenByBackend = new AtomicReference<>();

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withJdkBackend(http -> http.createContext("/hop", ex -> {
        Map<String, List<String>> copy = new TreeMap<>();
        for (Map.Entry<String, List<String>> e : ex.getRequestHeaders().entrySet()) {
            copy.put(e.getKey().toLowerCase(Locale.ROOT), List.copyOf(e.getValue()));
        }
        seenByBackend.set(copy);
        ex.getRequestBody().readAllBytes();
        Headers h = ex.getResponseHeaders();
        h.add("X-Resp-Custom", "must-not-pass");
        h.add("Connection", "X-Resp-Custom");
        h.add("Keep-Alive", "timeout=5, max=100");
        h.add("Proxy-Authenticate", "Basic realm=\"proxy\"");
        h.add("Upgrade", "foo/2");
        h.add("X-Resp-Keep", "end-to-end");
        byte[] body = "hop body".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }));

    @Test
    void hopByHopRequestHeadersAreRemovedTowardTheBackend() throws Exception {
        RawHttp.Response r = RawHttp.exchange(tunnel.serverPort(), String.join("\r\n",
                "GET /hop HTTP/1.1",
                "Host: 127.0.0.1:" + tunnel.serverPort(),
                "X-Token: " + tunnel.token(),
                "Connection: keep-alive, X-Custom, X-Other",
                "X-Custom: named-in-connection",
                "X-Other: also-named",
                "Keep-Alive: timeout=5",
                "TE: trailers",
                "Upgrade: foo/1",
                "Proxy-Authorization: Basic Zm9vOmJhcg==",
                "Proxy-Connection: keep-alive",
                "X-Keep: yes"));

        assertThat(r.status()).isEqualTo(200);
        Map<String, List<String>> seen = seenByBackend.get();
        assertThat(seen).as("backend was reached").isNotNull();
        assertThat(seen).as("headers at the backend").doesNotContainKeys(
                "x-custom", "x-other", "keep-alive", "te", "upgrade", "proxy-authorization", "proxy-connection",
                "x-token");
        assertThat(seen.get("x-keep")).containsExactly("yes");
        List<String> connection = seen.getOrDefault("connection", List.of());
        assertThat(String.join(",", connection).toLowerCase(Locale.ROOT))
                .as("Connection at the backend must not carry the caller's connection options")
                .doesNotContain("x-custom").doesNotContain("x-other");
    }

    @Test
    void hopByHopResponseHeadersAreRemovedTowardTheCaller() throws Exception {
        // Control: the backend really sends them (so their absence below is the tunnel's doing).
        RawHttp.Response direct = RawHttp.exchange(tunnel.backendPort(), String.join("\r\n",
                "GET /hop HTTP/1.1", "Host: 127.0.0.1:" + tunnel.backendPort()));
        assertThat(direct.headers()).containsKeys("x-resp-custom", "keep-alive", "proxy-authenticate", "upgrade");

        RawHttp.Response r = RawHttp.exchange(tunnel.serverPort(), String.join("\r\n",
                "GET /hop HTTP/1.1",
                "Host: 127.0.0.1:" + tunnel.serverPort(),
                "X-Token: " + tunnel.token()));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("hop body");
        assertThat(r.headers()).as("response headers at the caller")
                .doesNotContainKeys("x-resp-custom", "keep-alive", "proxy-authenticate", "upgrade");
        assertThat(r.header("x-resp-keep")).hasValue("end-to-end");
        assertThat(r.header("connection").orElse("").toLowerCase(Locale.ROOT))
                .as("Connection at the caller must not carry the backend's connection options")
                .doesNotContain("x-resp-custom");
    }
}
