package io.wstunnel.cli;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** wss:// with -certfile / -insecure, and https local targets. */
@Timeout(60)
class AgentTlsTest {
    @TempDir
    static Path dir;
    static TestCerts forIp;
    static TestCerts forOtherName;

    @BeforeAll
    static void certs() throws Exception {
        forIp = TestCerts.create(dir, "ip", "ip:127.0.0.1");
        forOtherName = TestCerts.create(dir, "other", "dns:other.example");
    }

    private static AgentConfig.Builder agent(FakeServer server) {
        return AgentConfig.builder().tunnel(server.uri("")).token(Harness.TOKEN).maxBackoff(Duration.ofMillis(500));
    }

    @Test
    void certFileIsTrusted() throws Exception {
        try (FakeServer server = new FakeServer("", Settings.DEFAULT, forIp.serverContext());
             Agent a = Agent.start(agent(server).certFile(forIp.pem).build())) {
            server.awaitConnection().next(Frame.Hello.class);
            assertThat(a.awaitConnected(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void unknownCertificateIsRefused() throws Exception {
        try (FakeServer server = new FakeServer("", Settings.DEFAULT, forIp.serverContext());
             Agent a = Agent.start(agent(server).build())) {
            assertThat(a.awaitConnected(Duration.ofMillis(1500))).isFalse();
            assertThat(server.handshakes.get()).isZero();
        }
    }

    @Test
    void hostnameIsStillVerifiedWithCertFile() throws Exception {
        try (FakeServer server = new FakeServer("", Settings.DEFAULT, forOtherName.serverContext());
             Agent a = Agent.start(agent(server).certFile(forOtherName.pem).build())) {
            assertThat(a.awaitConnected(Duration.ofMillis(1500))).isFalse();
            assertThat(server.handshakes.get()).isZero();
        }
    }

    @Test
    void insecureTrustsAnyCertificateAndName() throws Exception {
        try (FakeServer server = new FakeServer("", Settings.DEFAULT, forOtherName.serverContext());
             Agent a = Agent.start(agent(server).insecure(true).build())) {
            server.awaitConnection().next(Frame.Hello.class);
            assertThat(a.awaitConnected(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void localHttpsTargetNeedsTrustOrInsecure() throws Exception {
        WireMockServer wm = new WireMockServer(wireMockConfig().dynamicPort().dynamicHttpsPort().bindAddress("127.0.0.1"));
        wm.start();
        try {
            wm.stubFor(get(urlEqualTo("/s")).willReturn(aResponse().withStatus(200).withBody("secure")));
            URI target = URI.create("https://127.0.0.1:" + wm.httpsPort());
            try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(target).insecure(true))) {
                h.conn.send(Harness.get(1, "/s", Headers.EMPTY));
                assertThat(h.collect(1).text()).isEqualTo("secure");
            }
            try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(target))) {
                h.conn.send(Harness.get(1, "/s", Headers.EMPTY));
                Harness.Response r = h.collect(1);
                assertThat(r.reply().head().status()).isEqualTo(502);
                assertThat(r.text()).startsWith("wstunnel cli: cannot reach " + target + "/s: ");
            }
        } finally {
            wm.stop();
        }
    }
}
