package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.cli.Agent;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Which agents the server admits: -max-clients-per-token (429) and per-token passwords (401), with
 * the LEGACY.md §1 wording. The fixture's own token has no password and one agent connected; a second
 * token {@link #PROTECTED} has a password.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentAdmissionE2ETest {

    private static final String PROTECTED = TunnelFixture.randomToken();
    private static final String PASSWORD = "s3cret-pw";

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withWireMock()
            .server(b -> b.maxClientsPerToken(1).password(PROTECTED, PASSWORD));

    @Test
    void secondAgentOnATokenLimitedToOneIsRefusedWith429() throws Exception {
        WebSocketHandshakeException refused = Handshakes.jdkHandshake(tunnel.serverPort(), "", tunnel.token(), null);
        RawHttp.Response raw = Handshakes.rawHandshake(tunnel.serverPort(), "", tunnel.token(), null);

        assertThat(refused).as("a second agent must be refused").isNotNull();
        assertThat(refused.getResponse().statusCode()).isEqualTo(429);
        assertThat(Handshakes.bodyOf(refused)).isNotNull()
                .satisfies(b -> assertThat(b.strip()).isEqualTo("Maximum number of clients (1) reached for this token"));
        assertThat(raw.status()).isEqualTo(429);
        assertThat(raw.bodyText().strip()).isEqualTo("Maximum number of clients (1) reached for this token");
    }

    @Test
    void secondRealAgentDoesNotTakeOverAndTheFirstKeepsServing() throws Exception {
        tunnel.wireMock().stubFor(get(urlEqualTo("/x")).willReturn(aResponse().withStatus(200).withBody("one")));
        Agent second = Agent.start(tunnel.agentConfig().build());
        tunnel.closeAfter(second);

        assertThat(second.awaitConnected(Duration.ofSeconds(3))).as("second agent connected").isFalse();
        HttpResponse<String> r = tunnel.callerGet("/x");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("one");
    }

    @Test
    void wrongPasswordIsRefusedWith401() throws Exception {
        WebSocketHandshakeException refused = Handshakes.jdkHandshake(tunnel.serverPort(), "", PROTECTED,
                Handshakes.basic(PROTECTED, "wrong"));
        RawHttp.Response raw = Handshakes.rawHandshake(tunnel.serverPort(), "", PROTECTED,
                Handshakes.basic(PROTECTED, "wrong"));

        assertThat(refused).as("a wrong password must be refused").isNotNull();
        assertThat(refused.getResponse().statusCode()).isEqualTo(401);
        assertThat(Handshakes.bodyOf(refused)).isNotNull()
                .satisfies(b -> assertThat(b.strip()).isEqualTo("Invalid token or password"));
        assertThat(raw.status()).isEqualTo(401);
        assertThat(raw.header("www-authenticate")).hasValue("Basic realm=\"wstunnel\"");
        assertThat(raw.bodyText().strip()).isEqualTo("Invalid token or password");
    }

    @Test
    void missingPasswordIsRefusedWith401() throws Exception {
        RawHttp.Response raw = Handshakes.rawHandshake(tunnel.serverPort(), "", PROTECTED, null);

        assertThat(raw.status()).isEqualTo(401);
        assertThat(raw.header("www-authenticate")).hasValue("Basic realm=\"wstunnel\"");
        assertThat(raw.bodyText().strip()).isEqualTo("Authorization required for this token");
    }

    @Test
    void malformedAuthorizationIsRefusedWith401NamingWhatIsWrong() throws Exception {
        String noColon = java.util.Base64.getEncoder().encodeToString((PROTECTED + PASSWORD)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String[][] cases = {
            {"Bearer " + PASSWORD, "Invalid authorization type (must be Basic)"},
            {"Digest username=\"" + PROTECTED + "\"", "Invalid authorization type (must be Basic)"},
            {"Basic %%not-base64%%", "Invalid authorization encoding"},
            {"Basic " + noColon, "Invalid authorization format"},
        };
        for (String[] c : cases) {
            RawHttp.Response raw = Handshakes.rawHandshake(tunnel.serverPort(), "", PROTECTED, c[0]);

            assertThat(raw.status()).as("status for Authorization: %s", c[0]).isEqualTo(401);
            assertThat(raw.header("www-authenticate")).as("for %s", c[0]).hasValue("Basic realm=\"wstunnel\"");
            assertThat(raw.header("content-type")).as("for %s", c[0]).hasValue("text/plain; charset=utf-8");
            assertThat(raw.bodyText()).as("body for Authorization: %s", c[0]).isEqualTo(c[1]);
        }
        // A token without a password ignores Authorization altogether (a proxy in front may use it).
        assertThat(Handshakes.rawHandshake(tunnel.serverPort(), "", TunnelFixture.randomToken(), "Bearer x").status())
                .isEqualTo(101);
    }

    @Test
    void realAgentWithWrongPasswordStaysOutAndWithRightPasswordServes() throws Exception {
        tunnel.wireMock().stubFor(get(urlEqualTo("/p")).willReturn(aResponse().withStatus(200).withBody("protected ok")));

        Agent wrong = Agent.start(tunnel.agentConfig().token(PROTECTED).password("wrong").build());
        tunnel.closeAfter(wrong);
        assertThat(wrong.awaitConnected(Duration.ofSeconds(3))).as("agent with a wrong password connected").isFalse();
        wrong.stop(Duration.ZERO);

        tunnel.startAgent(tunnel.agentConfig().token(PROTECTED).password(PASSWORD).build());
        HttpResponse<String> r = tunnel.plainGet(tunnel.serverUrl() + "/p", "X-Token", PROTECTED);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("protected ok");
    }
}
