package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Requests reach the local service through the tunnel: routing, headers, bodies, concurrency. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RoutingE2ETest {

    private static final int MIB = 1024 * 1024;

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withWireMock();

    @Test
    void getViaXTokenHeaderReachesBackendWithPathAndQuery() throws Exception {
        tunnel.wireMock().stubFor(get(urlEqualTo("/hello/world?x=1&y=two"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/plain").withBody("hello back")));

        HttpResponse<String> r = tunnel.callerGet("/hello/world?x=1&y=two");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello back");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(tunnel.wireMock().findAll(getRequestedFor(urlEqualTo("/hello/world?x=1&y=two")))).hasSize(1);
    }

    @Test
    void getViaTokenPathPrefixReachesBackendWithTheRestOfThePath() throws Exception {
        tunnel.wireMock().stubFor(get(urlEqualTo("/some/path?q=2"))
                .willReturn(aResponse().withStatus(200).withBody("via path")));

        HttpResponse<String> r = tunnel.plainGet(tunnel.serverUrl() + "/_token/" + tunnel.token() + "/some/path?q=2");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("via path");
        List<LoggedRequest> seen = tunnel.wireMock().findAll(anyRequestedFor(anyUrl()));
        assertThat(seen).extracting(LoggedRequest::getUrl).containsExactly("/some/path?q=2");
    }

    @Test
    void xTokenIsNotForwardedAndForwardedHeadersAreAdded() throws Exception {
        tunnel.wireMock().stubFor(get(urlEqualTo("/headers")).willReturn(aResponse().withStatus(200).withBody("ok")));

        HttpResponse<String> r = tunnel.callerGet("/headers", "X-End-To-End", "kept");

        assertThat(r.statusCode()).isEqualTo(200);
        LoggedRequest req = tunnel.wireMock().findAll(getRequestedFor(urlEqualTo("/headers"))).get(0);
        assertThat(req.containsHeader("X-Token")).as("X-Token must never reach the local service").isFalse();
        assertThat(req.getHeader("X-End-To-End")).isEqualTo("kept");
        assertThat(req.getHeader("X-Forwarded-For")).as("X-Forwarded-For").contains("127.0.0.1");
        assertThat(req.getHeader("X-Forwarded-Proto")).as("X-Forwarded-Proto").isEqualTo("http");
        assertThat(req.getHeader("X-Forwarded-Host")).as("X-Forwarded-Host")
                .isEqualTo("127.0.0.1:" + tunnel.serverPort());
        assertThat(req.getHeader("Host")).as("Host becomes the target's host:port")
                .isEqualTo("127.0.0.1:" + tunnel.backendPort());
    }

    @Test
    void xTokenIsNotForwardedWhenRoutingByPathEither() throws Exception {
        tunnel.wireMock().stubFor(get(urlEqualTo("/p")).willReturn(aResponse().withStatus(200).withBody("ok")));

        HttpResponse<String> r = tunnel.plainGet(tunnel.serverUrl() + "/_token/" + tunnel.token() + "/p",
                "X-Token", tunnel.token());

        assertThat(r.statusCode()).isEqualTo(200);
        LoggedRequest req = tunnel.wireMock().findAll(getRequestedFor(urlEqualTo("/p"))).get(0);
        assertThat(req.containsHeader("X-Token")).isFalse();
    }

    @Test
    void post12MiBReachesBackendByteExactWithItsContentLength() throws Exception {
        byte[] data = RawHttp.randomBytes(12 * MIB, 12);
        tunnel.wireMock().stubFor(post(urlEqualTo("/upload")).willReturn(aResponse().withStatus(201).withBody("stored")));

        HttpResponse<String> r = tunnel.client().send(
                tunnel.callerRequest("/upload").header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(data)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.body()).isEqualTo("stored");
        List<LoggedRequest> seen = tunnel.wireMock().findAll(postRequestedFor(urlEqualTo("/upload")));
        assertThat(seen).hasSize(1);
        LoggedRequest req = seen.get(0);
        assertThat(req.getHeader("Content-Length")).isEqualTo(Integer.toString(data.length));
        assertThat(req.getHeader("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(req.getBody().length).isEqualTo(data.length);
        assertThat(RawHttp.sha256(req.getBody())).isEqualTo(RawHttp.sha256(data));
    }

    @Test
    void chunkedPostOfUnknownLengthReachesBackendByteExact() throws Exception {
        byte[] data = RawHttp.randomBytes(3 * MIB + 17, 7);
        tunnel.wireMock().stubFor(post(urlEqualTo("/stream-up")).willReturn(aResponse().withStatus(200).withBody("got it")));

        HttpResponse<String> r = tunnel.client().send(
                tunnel.callerRequest("/stream-up")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("got it");
        LoggedRequest req = tunnel.wireMock().findAll(postRequestedFor(urlEqualTo("/stream-up"))).get(0);
        assertThat(req.getBody().length).isEqualTo(data.length);
        assertThat(RawHttp.sha256(req.getBody())).isEqualTo(RawHttp.sha256(data));
    }

    @Test
    void get12MiBIsByteExact() throws Exception {
        byte[] data = RawHttp.randomBytes(12 * MIB, 21);
        tunnel.wireMock().stubFor(get(urlEqualTo("/big"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/octet-stream").withBody(data)));

        HttpResponse<byte[]> r = tunnel.client().send(tunnel.callerRequest("/big").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body().length).isEqualTo(data.length);
        assertThat(RawHttp.sha256(r.body())).isEqualTo(RawHttp.sha256(data));
    }

    @Test
    void unusualBackendStatusIsPassedThroughWithItsBody() throws Exception {
        tunnel.wireMock().stubFor(get(urlEqualTo("/odd"))
                .willReturn(aResponse().withStatus(445).withHeader("X-Odd", "yes").withBody("four-four-five body")));

        HttpResponse<String> r = tunnel.callerGet("/odd");

        assertThat(r.statusCode()).isEqualTo(445);
        assertThat(r.body()).isEqualTo("four-four-five body");
        assertThat(r.headers().firstValue("X-Odd")).hasValue("yes");
    }

    @Test
    void hundredSequentialRequestsAllSucceed() throws Exception {
        for (int i = 0; i < 100; i++) {
            tunnel.wireMock().stubFor(get(urlEqualTo("/seq/" + i)).willReturn(aResponse().withStatus(200).withBody("seq-" + i)));
        }
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> r = tunnel.callerGet("/seq/" + i);
            assertThat(r.statusCode()).as("request %d", i).isEqualTo(200);
            assertThat(r.body()).as("request %d", i).isEqualTo("seq-" + i);
        }
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl()))).hasSize(100);
    }

    @Test
    void fiftyConcurrentRequestsWithRandomDelaysEachGetTheirOwnBody() throws Exception {
        Random rnd = new Random(50);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            // Bodies of different sizes (up to ~600 KiB, beyond one flow-control window) so that
            // interleaved DATA frames of different streams would show any mix-up.
            int size = 16 + rnd.nextInt(600 * 1024);
            StringBuilder body = new StringBuilder("body-" + i + "-");
            while (body.length() < size) {
                body.append((char) ('a' + (i % 26)));
            }
            expected.add(body.toString());
            tunnel.wireMock().stubFor(get(urlEqualTo("/c/" + i))
                    .willReturn(aResponse().withStatus(200).withBody(body.toString()).withUniformRandomDelay(0, 800)));
        }
        tunnel.wireMock().stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(599)));

        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            futures.add(tunnel.client().sendAsync(tunnel.callerRequest("/c/" + i).GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(90, TimeUnit.SECONDS);

        for (int i = 0; i < 50; i++) {
            HttpResponse<String> r = futures.get(i).get();
            assertThat(r.statusCode()).as("request %d", i).isEqualTo(200);
            String body = r.body();
            assertThat(body.equals(expected.get(i)))
                    .as("body of request %d: expected %d bytes starting 'body-%d-', got %d bytes starting '%s'",
                            i, expected.get(i).length(), i, body.length(), body.substring(0, Math.min(20, body.length())))
                    .isTrue();
        }
    }
    @Test
    void pathAndQueryReachTheBackendExactlyAsSent() throws Exception {
        String target = "/a%2Fb/c%20d;p=1/%C3%A9?x=%41&y=&z&q=a+b%26c";
        tunnel.wireMock().stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("raw")));

        RawHttp.Response r = RawHttp.exchange(tunnel.serverPort(), "GET " + target + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + tunnel.serverPort() + "\r\nX-Token: " + tunnel.token());

        assertThat(r.status()).isEqualTo(200);
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl())))
                .extracting(LoggedRequest::getUrl).containsExactly(target);
    }

    @Test
    void redirectsAreReturnedToTheCallerNotFollowed() throws Exception {
        tunnel.wireMock().stubFor(get(urlEqualTo("/old"))
                .willReturn(aResponse().withStatus(302).withHeader("Location", "/new").withBody("moved")));
        tunnel.wireMock().stubFor(get(urlEqualTo("/new")).willReturn(aResponse().withStatus(200).withBody("new")));

        HttpResponse<String> r = tunnel.callerGet("/old");

        assertThat(r.statusCode()).isEqualTo(302);
        assertThat(r.headers().firstValue("Location")).hasValue("/new");
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl())))
                .extracting(LoggedRequest::getUrl).containsExactly("/old");
    }

    @Test
    void compressionIsNeitherAddedNorRemoved() throws Exception {
        byte[] plain = "compress me ".repeat(2000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(plain);
        }
        tunnel.wireMock().stubFor(get(urlEqualTo("/gz")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Encoding", "gzip").withHeader("Content-Type", "text/plain").withBody(gz.toByteArray())));
        tunnel.wireMock().stubFor(get(urlEqualTo("/plain")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/plain").withBody(plain)));

        HttpResponse<byte[]> zipped = tunnel.client().send(
                tunnel.callerRequest("/gz").header("Accept-Encoding", "gzip").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> notZipped = tunnel.client().send(tunnel.callerRequest("/plain").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(zipped.statusCode()).isEqualTo(200);
        assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(zipped.body()).as("gzip bytes passed through untouched").isEqualTo(gz.toByteArray());
        assertThat(notZipped.statusCode()).isEqualTo(200);
        assertThat(notZipped.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(notZipped.body()).isEqualTo(plain);
        LoggedRequest gzReq = tunnel.wireMock().findAll(getRequestedFor(urlEqualTo("/gz"))).get(0);
        LoggedRequest plainReq = tunnel.wireMock().findAll(getRequestedFor(urlEqualTo("/plain"))).get(0);
        assertThat(gzReq.getHeader("Accept-Encoding")).isEqualTo("gzip");
        assertThat(plainReq.containsHeader("Accept-Encoding")).as("Accept-Encoding added on the way").isFalse();
    }
}
