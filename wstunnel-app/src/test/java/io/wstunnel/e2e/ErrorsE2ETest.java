package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Statuses and exact plain-text bodies of LEGACY.md §1 and §4 for callers and for agents. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ErrorsE2ETest {

    /** None of these answers needs an agent: the server decides them alone. */
    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withWireMock().noAgent();

    private static void assertPlainTextError(HttpResponse<String> r, int status, String text) {
        assertThat(r.statusCode()).as("status").isEqualTo(status);
        assertThat(r.body().strip()).as("body").isEqualTo(text);
        assertThat(r.headers().firstValue("Content-Type")).as("Content-Type")
                .hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
    }

    @Test
    void unknownTokenIs404() throws Exception {
        HttpResponse<String> r = tunnel.plainGet(tunnel.serverUrl() + "/x", "X-Token", TunnelFixture.randomToken());

        assertPlainTextError(r, 404, "Tunnel not found (or not seen in a long time)");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }

    @Test
    void unknownTokenInPathIs404() throws Exception {
        HttpResponse<String> r = tunnel.plainGet(
                tunnel.serverUrl() + "/_token/" + TunnelFixture.randomToken() + "/x");

        assertPlainTextError(r, 404, "Tunnel not found (or not seen in a long time)");
    }

    @Test
    void missingTokenIs400() throws Exception {
        HttpResponse<String> r = tunnel.plainGet(tunnel.serverUrl() + "/some/path");

        assertPlainTextError(r, 400, "Missing X-Token header");
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }

    @Test
    void tokenPathWithoutFollowingSlashIs400() throws Exception {
        HttpResponse<String> r = tunnel.plainGet(tunnel.serverUrl() + "/_token/" + tunnel.token());

        assertPlainTextError(r, 400, "Missing token in URI");
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }

    @Test
    void healthCheckAnswersRunning() throws Exception {
        HttpResponse<String> r = tunnel.plainGet(tunnel.serverUrl() + "/_health_check");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).as("LEGACY.md §6: 'WSTUNSRV RUNNING' + newline").isEqualTo("WSTUNSRV RUNNING\n");
    }

    @Test
    void agentWithShortTokenIsRefusedWith400() throws Exception {
        String shortToken = "0123456789";

        WebSocketHandshakeException refused = Handshakes.jdkHandshake(tunnel.serverPort(), "", shortToken, null);
        RawHttp.Response raw = Handshakes.rawHandshake(tunnel.serverPort(), "", shortToken, null);

        assertThat(refused).as("the handshake must be refused").isNotNull();
        assertThat(refused.getResponse().statusCode()).isEqualTo(400);
        assertThat(Handshakes.bodyOf(refused)).isNotNull()
                .satisfies(b -> assertThat(b.strip()).isEqualTo("Rendez-vous token is too short (must be 16 chars)"));
        assertThat(raw.status()).isEqualTo(400);
        assertThat(raw.bodyText().strip()).isEqualTo("Rendez-vous token is too short (must be 16 chars)");
    }

    @Test
    void agentWithoutOriginIsRefusedWith400() throws Exception {
        RawHttp.Response raw = Handshakes.rawHandshake(tunnel.serverPort(), "", null, null);

        assertThat(raw.status()).isEqualTo(400);
        assertThat(raw.bodyText().strip()).isEqualTo("Origin header with rendez-vous token required");
    }
}
