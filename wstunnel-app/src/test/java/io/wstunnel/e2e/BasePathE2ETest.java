package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * -base-path /wst: every endpoint lives under /wst (LEGACY.md §6) and the agent dials
 * ws://host:port/wst (it appends /_tunnel to the path of -tunnel).
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
}
