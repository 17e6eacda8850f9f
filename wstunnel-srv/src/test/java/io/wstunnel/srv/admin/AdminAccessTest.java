package io.wstunnel.srv.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.ServerConfig;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Who may see what. Non-loopback callers are played through a trusted proxy on 127.0.0.1 forwarding
 * for a documentation address, so the test needs no other interface.
 */
class AdminAccessTest extends AdminTestSupport {
    static final String ADMIN_TOKEN = "admin-secret-0123456789";
    static final List<String> ADMIN_PATHS = List.of("/admin/monitoring", "/admin/auditing", "/admin/api-docs",
            "/admin/ui", "/admin", "/metrics");

    @Test
    void loopbackCallersGetEverythingWithoutAToken() throws Exception {
        start();
        for (String p : ADMIN_PATHS) {
            assertThat(get(p).statusCode()).as(p).isIn(200, 307);
        }
    }

    @Test
    void remoteCallersAreRefusedWhenNoAdminTokenIsConfigured() throws Exception {
        start(ServerConfig.builder().trustedProxies(List.of("127.0.0.1/32")));
        for (String p : ADMIN_PATHS) {
            HttpResponse<String> r = get(p, "X-Forwarded-For", "203.0.113.9");
            assertThat(r.statusCode()).as(p).isEqualTo(403);
            assertThat(r.headers().firstValue("Content-Type")).contains("text/plain; charset=utf-8");
            assertThat(r.body()).contains("local callers only");
        }
        assertThat(get("/_health_check", "X-Forwarded-For", "203.0.113.9").body()).isEqualTo("WSTUNSRV RUNNING\n");
        assertThat(get("/admin/monitoring", "X-Forwarded-For", "203.0.113.9", "Authorization", "Bearer x").statusCode())
                .isEqualTo(403);
    }

    @Test
    void withAnAdminTokenRemoteCallersMustPresentIt() throws Exception {
        start(ServerConfig.builder().trustedProxies(List.of("127.0.0.1")).adminToken(ADMIN_TOKEN));
        agent(VECTOR_TOKEN);
        for (String p : ADMIN_PATHS) {
            HttpResponse<String> none = get(p, "X-Forwarded-For", "203.0.113.9");
            assertThat(none.statusCode()).as(p).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(none.body()).isEqualTo("Admin token required (Authorization: Bearer ...)");
            HttpResponse<String> wrong = get(p, "X-Forwarded-For", "203.0.113.9", "Authorization", "Bearer nope");
            assertThat(wrong.statusCode()).as(p).isEqualTo(401);
            assertThat(wrong.body()).isEqualTo("Invalid admin token");
            HttpResponse<String> basic = get(p, "X-Forwarded-For", "203.0.113.9", "Authorization", "Basic " + ADMIN_TOKEN);
            assertThat(basic.statusCode()).as(p).isEqualTo(401);
            HttpResponse<String> right = get(p, "X-Forwarded-For", "203.0.113.9", "Authorization", "Bearer " + ADMIN_TOKEN);
            assertThat(right.statusCode()).as(p).isIn(200, 307);
            assertThat(right.body()).doesNotContain(VECTOR_TOKEN).doesNotContain(ADMIN_TOKEN);
        }
        // /_stats: header lines for anyone, detail with the admin token
        assertThat(get("/_stats", "X-Forwarded-For", "203.0.113.9").body()).contains("More stats available");
        assertThat(get("/_stats", "X-Forwarded-For", "203.0.113.9", "Authorization", "Bearer " + ADMIN_TOKEN).body())
                .contains("tunnel00_token=vectorto...");
    }

    @Test
    void spoofedForwardedForFromAnUntrustedPeerGivesNoDetail() throws Exception {
        start(); // no trusted proxies: 127.0.0.1 forwarding anything is a proxy we do not know
        agent(VECTOR_TOKEN);
        for (String spoof : List.of("127.0.0.1", "::1", "10.0.0.1")) {
            assertThat(get("/_stats", "X-Forwarded-For", spoof).body()).as(spoof)
                    .doesNotContain("tunnel00_").contains("More stats available when called from localhost...");
            assertThat(get("/admin/auditing", "X-Forwarded-For", spoof).statusCode()).as(spoof).isEqualTo(403);
        }
        assertThat(get("/_stats", "Forwarded", "for=127.0.0.1").body()).doesNotContain("tunnel00_");
    }

    @Test
    void trustedProxyForwardingForALocalClientIsLocalAndSpoofedChainsAreNot() throws Exception {
        start(ServerConfig.builder().trustedProxies(List.of("127.0.0.0/8", "10.0.0.0/8")));
        agent(VECTOR_TOKEN);
        assertThat(get("/_stats", "X-Forwarded-For", "127.0.0.1").body()).contains("tunnel00_token=vectorto...");
        assertThat(get("/_stats", "X-Forwarded-For", "::1").body()).contains("tunnel00_token=vectorto...");
        // the client put 127.0.0.1 first; the trusted proxy appended the real client 203.0.113.9
        assertThat(get("/_stats", "X-Forwarded-For", "127.0.0.1, 203.0.113.9").body()).doesNotContain("tunnel00_");
        // 10.1.2.3 is another trusted proxy in the chain: the client is the one before it
        assertThat(get("/_stats", "X-Forwarded-For", "203.0.113.9, 10.1.2.3").body()).doesNotContain("tunnel00_");
        assertThat(get("/_stats", "X-Forwarded-For", "garbage").body()).doesNotContain("tunnel00_");
    }

    @Test
    void noResponseEverContainsAFullToken() throws Exception {
        start();
        FrameAgent a = agent(VECTOR_TOKEN);
        var inFlight = tunnelled(VECTOR_TOKEN, "/_token/" + VECTOR_TOKEN + "/x");
        a.next(io.wstunnel.protocol.Frame.Open.class);
        var viaPath = http.sendAsync(java.net.http.HttpRequest.newBuilder(url("/_token/" + VECTOR_TOKEN + "/y")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        a.next(io.wstunnel.protocol.Frame.Open.class);
        for (String p : List.of("/_stats", "/admin/monitoring", "/admin/auditing", "/metrics", "/admin/api-docs", "/admin/ui")) {
            assertThat(get(p).body()).as(p).doesNotContain(VECTOR_TOKEN);
        }
        a.close();
        inFlight.cancel(true);
        viaPath.cancel(true);
    }

    @Test
    void aDnsNameInHostFromLoopbackIsNotEnough() throws Exception {
        start(ServerConfig.builder().adminToken(ADMIN_TOKEN));
        agent(VECTOR_TOKEN);
        // what a DNS-rebinding page in the operator's browser would send
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET /admin/auditing HTTP/1.1\r\nHost: attacker.example:" + server.port()
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            String resp = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(resp).startsWith("HTTP/1.1 403").contains("DNS rebinding").doesNotContain("vectorto");
        }
        assertThat(get("/admin/auditing").statusCode()).isEqualTo(200);
        HttpResponse<String> localhost = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + server.port() + "/admin/monitoring")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(localhost.statusCode()).isEqualTo(200);
    }

    @Test
    void loopbackDetection() throws Exception {
        assertThat(ClientAddress.isLoopback(InetAddress.getByName("127.0.0.1"))).isTrue();
        assertThat(ClientAddress.isLoopback(InetAddress.getByName("127.8.9.10"))).isTrue();
        assertThat(ClientAddress.isLoopback(InetAddress.getByName("::1"))).isTrue();
        assertThat(ClientAddress.isLoopback(InetAddress.getByName("::ffff:127.0.0.1"))).isTrue();
        assertThat(ClientAddress.isLoopback(InetAddress.getByName("0:0:0:0:0:0:0:1"))).isTrue();
        assertThat(ClientAddress.isLoopback(InetAddress.getByName("10.0.0.1"))).isFalse();
        assertThat(ClientAddress.isLoopback(InetAddress.getByName("fd00::1"))).isFalse();
        assertThat(ClientAddress.parseLiteral("example.com")).as("never resolves names").isNull();
        assertThat(ClientAddress.parseLiteral("[::1]:80")).isEqualTo(InetAddress.getByName("::1"));
        assertThat(ClientAddress.parseLiteral("1.2.3.4:5")).isEqualTo(InetAddress.getByName("1.2.3.4"));
        ClientAddress.Cidr c = ClientAddress.Cidr.parse("10.0.0.0/8");
        assertThat(c.contains(InetAddress.getByName("10.200.0.1"))).isTrue();
        assertThat(c.contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(ClientAddress.Cidr.parse("fd00::/8").contains(InetAddress.getByName("fd12::1"))).isTrue();
    }
}
