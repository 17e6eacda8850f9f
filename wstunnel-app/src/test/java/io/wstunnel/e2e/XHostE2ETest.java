package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The agent's choice of target: X-Host if -regexp matches the whole value, else -server (LEGACY.md §5). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class XHostE2ETest {

    private static final Pattern LOOPBACK_ANY_PORT = Pattern.compile("http://127\\.0\\.0\\.1:\\d+");

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withWireMock().noAgent();

    private WireMockServer second;

    @BeforeEach
    void startSecondBackend() {
        second = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1").containerThreads(20));
        second.start();
        tunnel.closeAfter(second::stop);
        second.stubFor(get(urlEqualTo("/x")).willReturn(aResponse().withStatus(200).withBody("from second")));
        tunnel.wireMock().stubFor(get(urlEqualTo("/x")).willReturn(aResponse().withStatus(200).withBody("from default")));
    }

    private String secondUrl() {
        return "http://127.0.0.1:" + second.port();
    }

    private void startAgentWithRegexp() throws InterruptedException {
        tunnel.startAgent(tunnel.agentConfig().hostPattern(LOOPBACK_ANY_PORT).build());
    }

    private void assertNoBackendContacted() {
        assertThat(second.findAll(anyRequestedFor(anyUrl()))).as("requests at the X-Host target").isEmpty();
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl()))).as("requests at the -server target").isEmpty();
    }

    @Test
    void xHostMatchingRegexpIsUsedAsTarget() throws Exception {
        startAgentWithRegexp();

        HttpResponse<String> r = tunnel.callerGet("/x", "X-Host", secondUrl());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("from second");
        LoggedRequest req = second.findAll(getRequestedFor(urlEqualTo("/x"))).get(0);
        assertThat(req.containsHeader("X-Host")).as("X-Host is removed before the local request").isFalse();
        assertThat(req.getHeader("Host")).isEqualTo("127.0.0.1:" + second.port());
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }

    @Test
    void absentXHostUsesTheDefaultServer() throws Exception {
        startAgentWithRegexp();

        HttpResponse<String> r = tunnel.callerGet("/x");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("from default");
        assertThat(second.findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }

    @Test
    void xHostIsRefusedWhenAgentHasNoRegexp() throws Exception {
        tunnel.startAgent();

        HttpResponse<String> r = tunnel.callerGet("/x", "X-Host", secondUrl());

        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body().strip()).isEqualTo("X-Host header disallowed by wstunnel cli (no -regexp option)");
        assertNoBackendContacted();
    }

    @Test
    void xHostNotMatchingRegexpIsRefused() throws Exception {
        startAgentWithRegexp();
        String value = "http://localhost:" + second.port();

        HttpResponse<String> r = tunnel.callerGet("/x", "X-Host", value);

        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body().strip()).isEqualTo("X-Host header '" + value + "' does not match regexp in wstunnel cli");
        assertNoBackendContacted();
    }

    @Test
    void xHostMatchingOnlyPartOfTheValueIsRefused() throws Exception {
        startAgentWithRegexp();
        String suffixed = secondUrl() + ".evil.example";
        String prefixed = "x" + secondUrl();

        HttpResponse<String> r1 = tunnel.callerGet("/x", "X-Host", suffixed);
        HttpResponse<String> r2 = tunnel.callerGet("/x", "X-Host", prefixed);

        assertThat(r1.statusCode()).as("regexp matches a prefix only").isEqualTo(403);
        assertThat(r1.body().strip()).isEqualTo("X-Host header '" + suffixed + "' does not match regexp in wstunnel cli");
        assertThat(r2.statusCode()).as("regexp matches a suffix only").isEqualTo(403);
        assertThat(r2.body().strip()).isEqualTo("X-Host header '" + prefixed + "' does not match regexp in wstunnel cli");
        assertNoBackendContacted();
    }

    @Test
    void noXHostAndNoServerIsRefused() throws Exception {
        tunnel.startAgent(tunnel.agentConfig().server(null).hostPattern(LOOPBACK_ANY_PORT).build());

        HttpResponse<String> r = tunnel.callerGet("/x");

        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body().strip()).isEqualTo("X-Host header required by wstunnel cli (no -server option)");
        assertNoBackendContacted();
    }

    @Test
    void unreachableTargetGives502NamingTheLocalFailure() throws Exception {
        startAgentWithRegexp();
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }

        HttpResponse<String> r = tunnel.callerGet("/x", "X-Host", "http://127.0.0.1:" + closedPort);

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
        // The agent's own answer: the URL it tried (target + path) and what went wrong there.
        assertThat(r.body()).as("the agent's 502 body")
                .startsWith("wstunnel cli: cannot reach http://127.0.0.1:" + closedPort + "/x: ")
                .containsIgnoringCase("connection refused");
    }
}
