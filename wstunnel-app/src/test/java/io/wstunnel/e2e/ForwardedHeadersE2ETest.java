package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * X-Forwarded-For/-Proto/-Host reach the local service as this server saw the request, unless the
 * socket peer is one of -trusted-proxies: then its values are believed (and X-Forwarded-For extended).
 * The caller here is always 127.0.0.1.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForwardedHeadersE2ETest {
    static final String[] SPOOFED = {
        "X-Forwarded-For", "203.0.113.9",
        "X-Forwarded-Proto", "https",
        "X-Forwarded-Host", "victim.example.com",
        "X-Forwarded-Port", "443",
        "Forwarded", "for=203.0.113.9;proto=https;host=victim.example.com",
        "X-Real-IP", "203.0.113.9",
    };

    static LoggedRequest sendSpoofed(TunnelFixture tunnel) throws Exception {
        tunnel.wireMock().stubFor(get(urlEqualTo("/who")).willReturn(aResponse().withStatus(200).withBody("ok")));
        assertThat(tunnel.callerGet("/who", SPOOFED).statusCode()).isEqualTo(200);
        List<LoggedRequest> seen = tunnel.wireMock().findAll(anyRequestedFor(anyUrl()));
        assertThat(seen).hasSize(1);
        return seen.get(0);
    }

    @Nested
    class FromAnUntrustedCaller {
        @RegisterExtension
        final TunnelFixture tunnel = TunnelFixture.withWireMock();

        @Test
        void theCallersValuesNeverReachTheBackend() throws Exception {
            LoggedRequest backend = sendSpoofed(tunnel);

            assertThat(backend.getHeaders().getHeader("X-Forwarded-For").values()).containsExactly("127.0.0.1");
            assertThat(backend.getHeaders().getHeader("X-Forwarded-Proto").values()).containsExactly("http");
            assertThat(backend.getHeaders().getHeader("X-Forwarded-Host").values())
                    .containsExactly("127.0.0.1:" + tunnel.serverPort());
            for (String name : List.of("X-Forwarded-Port", "Forwarded", "X-Real-IP")) {
                assertThat(backend.containsHeader(name)).as(name).isFalse();
            }
        }
    }

    @Nested
    class FromATrustedProxy {
        @RegisterExtension
        final TunnelFixture tunnel = TunnelFixture.withWireMock()
                .server(b -> b.trustedProxies(List.of("127.0.0.1/32")));

        @Test
        void theProxysValuesReachTheBackendAndItsAddressIsAppended() throws Exception {
            LoggedRequest backend = sendSpoofed(tunnel);

            assertThat(backend.getHeaders().getHeader("X-Forwarded-For").values())
                    .containsExactly("203.0.113.9, 127.0.0.1");
            assertThat(backend.getHeader("X-Forwarded-Proto")).isEqualTo("https");
            assertThat(backend.getHeader("X-Forwarded-Host")).isEqualTo("victim.example.com");
            assertThat(backend.getHeader("X-Forwarded-Port")).isEqualTo("443");
            assertThat(backend.getHeader("Forwarded")).isEqualTo("for=203.0.113.9;proto=https;host=victim.example.com");
        }
    }
}
