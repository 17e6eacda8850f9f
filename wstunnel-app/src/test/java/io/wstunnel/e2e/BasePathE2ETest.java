package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * -base-path /wst: every endpoint lives under /wst (LEGACY.md §6) and the agent dials
 * ws://host:port/wst (it appends /_tunnel to the path of -tunnel). Compared with what the Go server
 * did with the same base path (vectors C3: srv-to-agent/30-*.bin, srv-endpoints/basepath-*.txt).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BasePathE2ETest {

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withWireMock().server(b -> b.basePath("/wst"));

    @Test
    void agentConnectsUnderBasePathAndTokenPathRequestsWork() throws Exception {
        tunnel.wireMock().stubFor(get(urlEqualTo("/x?y=1")).willReturn(aResponse().withStatus(200).withBody("based")));

        HttpResponse<String> r = tunnel.plainGet(
                "http://127.0.0.1:" + tunnel.serverPort() + "/wst/_token/" + tunnel.token() + "/x?y=1");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("based");
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl())))
                .extracting(LoggedRequest::getUrl).containsExactly("/x?y=1");
    }

    @Test
    void healthCheckLivesUnderBasePath() throws Exception {
        HttpResponse<String> r = tunnel.plainGet("http://127.0.0.1:" + tunnel.serverPort() + "/wst/_health_check");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body().strip()).isEqualTo("WSTUNSRV RUNNING");
    }

    static final Path VECTORS = Path.of(System.getProperty("wstunnel.vectors", "../../shared/compat/vectors"))
            .toAbsolutePath().normalize();

    static byte[] vector(String name) throws IOException {
        Path p = VECTORS.resolve(name);
        Assumptions.assumeTrue(System.getenv("CI") != null || Files.exists(p), "vectors not available");
        return Files.readAllBytes(p);
    }

    @Test
    void xTokenRequestReachesTheBackendRelativeToTheBasePathAsInVector30() throws Exception {
        // What the Go server sent its agent for GET /wst/some/path?q=1 with X-Token: the base path stripped.
        byte[] go = vector("srv-to-agent/30-basepath-x-token.bin");
        String[] lines = new String(go, 4, go.length - 4, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] requestLine = lines[0].split(" ");
        List<String[]> goHeaders = new ArrayList<>();
        for (int i = 1; i < lines.length && !lines[i].isEmpty(); i++) {
            int c = lines[i].indexOf(':');
            String name = lines[i].substring(0, c);
            if (!name.equalsIgnoreCase("Host") && !name.equalsIgnoreCase("X-Token")) {
                goHeaders.add(new String[] {name, lines[i].substring(c + 1).trim()});
            }
        }
        tunnel.wireMock().stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("yes")));

        StringBuilder head = new StringBuilder(requestLine[0] + " /wst" + requestLine[1] + " HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(tunnel.serverPort()).append("\r\n");
        for (String[] h : goHeaders) {
            head.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        head.append("X-Token: ").append(tunnel.token()).append("\r\nConnection: close");
        RawHttp.Response r = RawHttp.exchange(tunnel.serverPort(), head.toString());

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("yes");
        List<LoggedRequest> seen = tunnel.wireMock().findAll(anyRequestedFor(anyUrl()));
        assertThat(seen).hasSize(1);
        LoggedRequest backend = seen.get(0);
        assertThat(backend.getMethod().value()).isEqualTo(requestLine[0]);
        assertThat(backend.getUrl()).isEqualTo(requestLine[1]).isEqualTo("/some/path?q=1");
        for (String[] h : goHeaders) {
            assertThat(backend.getHeader(h[0])).as(h[0]).isEqualTo(h[1]);
        }
        assertThat(backend.containsHeader("X-Token")).as("X-Token is never forwarded (LEGACY.md §7)").isFalse();
    }

    @Test
    void everythingOutsideTheBasePathIsGosPlain404AndNeverTunnelled() throws Exception {
        RawHttp.Response go = RawHttp.readResponse(new ByteArrayInputStream(
                vector("srv-endpoints/basepath-health-check-outside-404.txt")), true);
        tunnel.wireMock().stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("tunnelled")));
        String[] heads = {
            "GET /_health_check HTTP/1.1",                                     // the vector's request
            "GET /some/path?q=1 HTTP/1.1\r\nX-Token: " + tunnel.token(),       // tunnelled without the base path
            "GET /_token/" + tunnel.token() + "/other HTTP/1.1",
            "GET /admin/monitoring HTTP/1.1",                                  // basepath-admin-monitoring-root
            "GET /metrics HTTP/1.1",
            "GET /_stats HTTP/1.1",
            "GET /_tunnel HTTP/1.1\r\nOrigin: " + tunnel.token(),             // basepath-root-tunnel-404
            "POST /wstx/y HTTP/1.1\r\nX-Token: " + tunnel.token() + "\r\nContent-Length: 0",
        };
        for (String h : heads) {
            RawHttp.Response r = RawHttp.exchange(tunnel.serverPort(),
                    h + "\r\nHost: 127.0.0.1:" + tunnel.serverPort() + "\r\nConnection: close");
            assertThat(r.status()).as(h).isEqualTo(go.status()).isEqualTo(404);
            assertThat(r.body()).as(h).isEqualTo(go.body());
            assertThat(r.bodyText()).isEqualTo("404 page not found\n");
            for (String name : List.of("content-type", "x-content-type-options", "content-length")) {
                assertThat(r.header(name)).as(h + " " + name).isEqualTo(go.header(name));
            }
        }
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }

    @Test
    void theBasePathWithoutItsSlashRedirectsAsGoDoes() throws Exception {
        RawHttp.Response go = RawHttp.readResponse(new ByteArrayInputStream(
                vector("srv-endpoints/basepath-no-trailing-slash-301.txt")), true);
        RawHttp.Response r = RawHttp.exchange(tunnel.serverPort(), "GET /wst HTTP/1.1\r\nHost: 127.0.0.1:"
                + tunnel.serverPort() + "\r\nX-Token: " + tunnel.token() + "\r\nConnection: close");
        assertThat(r.status()).isEqualTo(go.status()).isEqualTo(301);
        assertThat(r.header("location")).isEqualTo(go.header("location")).hasValue("/wst/");
        assertThat(r.header("content-type")).isEqualTo(go.header("content-type"));
        assertThat(r.bodyText()).isEqualTo(go.bodyText());
    }

    @Test
    void reservedEndpointsLiveUnderTheBasePath() throws Exception {
        String base = "http://127.0.0.1:" + tunnel.serverPort() + "/wst";
        assertThat(tunnel.plainGet(base + "/admin/monitoring").statusCode()).isEqualTo(200);
        assertThat(tunnel.plainGet(base + "/metrics").statusCode()).isEqualTo(200);
        assertThat(tunnel.plainGet(base + "/_stats").body()).startsWith("tunnels=1\n");
        HttpResponse<String> plainTunnel = tunnel.plainGet(base + "/_tunnel");
        assertThat(plainTunnel.statusCode()).isEqualTo(400);
        assertThat(plainTunnel.body()).isEqualTo("Not a WebSocket upgrade");
    }
}
