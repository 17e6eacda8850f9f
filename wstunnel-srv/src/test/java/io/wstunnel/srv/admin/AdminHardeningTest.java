package io.wstunnel.srv.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.srv.ServerConfig;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Browser-facing hardening of the admin surface: response headers, CSRF without Origin, methods, proxies. */
class AdminHardeningTest extends AdminTestSupport {

    @Test
    void everyAdminResponseForbidsSniffingAndDataIsNotStored() throws Exception {
        start();
        agent(VECTOR_TOKEN);
        for (String p : List.of("/admin/monitoring", "/admin/auditing", "/admin/api-docs", "/metrics", "/_stats", "/admin/ui",
                "/admin")) {
            HttpResponse<String> r = get(p);
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(p).contains("nosniff");
        }
        for (String p : List.of("/admin/monitoring", "/admin/auditing", "/metrics", "/_stats")) {
            assertThat(get(p).headers().firstValue("Cache-Control").orElse("")).as(p).contains("no-store");
        }
        HttpResponse<String> action = post("/admin/tokens/" + TokenIds.id(VECTOR_TOKEN) + "/unblock");
        assertThat(action.statusCode()).isEqualTo(200);
        assertThat(action.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    }

    @Test
    void thePageAllowsOnlyItsOwnScriptAndCannotBeFramed() throws Exception {
        start();
        HttpResponse<String> r = get("/admin/ui");
        String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
        String body = r.body();
        int open = body.indexOf("<script>") + "<script>".length();
        String script = body.substring(open, body.indexOf("</script>", open));
        String hash = Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(script.getBytes(StandardCharsets.UTF_8)));
        assertThat(csp).contains("script-src 'sha256-" + hash + "'").doesNotContain("script-src 'unsafe-inline'")
                .contains("frame-ancestors 'none'").contains("base-uri 'none'").contains("form-action 'none'");
        assertThat(body.indexOf("<script", open)).as("one inline script, the hashed one").isNegative();
        assertThat(r.headers().firstValue("X-Frame-Options")).contains("DENY");
    }

    @Test
    void theDashboardAnswersOnlyGetAndHead() throws Exception {
        start();
        for (String m : List.of("POST", "PUT", "DELETE", "OPTIONS")) {
            HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(url("/admin/ui"))
                    .method(m, java.net.http.HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(m).isEqualTo(405);
            assertThat(r.body()).as(m).isEqualTo("Only GET requests are supported");
        }
    }

    @Test
    void anActionWithoutOriginIsRefusedWhenFetchMetadataOrRefererShowAnotherSite() throws Exception {
        start();
        String block = "/admin/tokens/" + TokenIds.id(VECTOR_TOKEN) + "/block";
        assertThat(post(block, "Sec-Fetch-Site", "cross-site").statusCode()).isEqualTo(403);
        assertThat(post(block, "Sec-Fetch-Site", "same-site").statusCode()).isEqualTo(403);
        assertThat(post(block, "Referer", "http://evil.example/page").statusCode()).isEqualTo(403);
        assertThat(post(block, "Referer", "http://127.0.0.1:" + server.port() + ".evil.example/").statusCode()).isEqualTo(403);
        assertThat(post("/admin/tickets", "Referer", "http://evil.example/").statusCode()).isEqualTo(403);
        // the dashboard itself, and scripts (curl sends neither header)
        assertThat(post(block, "Sec-Fetch-Site", "same-origin", "Referer",
                "http://127.0.0.1:" + server.port() + "/admin/ui").statusCode()).isEqualTo(200);
        assertThat(post(block).statusCode()).isEqualTo(200);
    }

    @Test
    void unblockTakesOnlyATokenId() throws Exception {
        start();
        HttpResponse<String> r = post("/admin/tokens/%3Cimg%20src%3Dx%3E/unblock");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).startsWith("Expected a token id");
    }

    @Test
    void aTrustedProxySendingOnlyForwardedIsNotLocal() throws Exception {
        // the server does not read RFC 7239 Forwarded: it cannot tell who the client is, so not local
        start(ServerConfig.builder().trustedProxies(List.of("127.0.0.1/32")));
        agent(VECTOR_TOKEN);
        assertThat(get("/admin/auditing", "Forwarded", "for=203.0.113.9").statusCode()).isEqualTo(403);
        assertThat(get("/_stats", "Forwarded", "for=203.0.113.9").body()).doesNotContain("tunnel00_");
        assertThat(get("/admin/auditing").statusCode()).as("the proxy's host itself").isEqualTo(200);
    }
}
