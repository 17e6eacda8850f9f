package io.wstunnel.srv.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import io.wstunnel.srv.admin.TokenIds;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** -agent-ca: agents must present a client certificate from that CA, optionally bound to the token. */
class AgentMtlsTest {
    static final String TOKEN = "mtls-test-token-0123456789";

    @TempDir
    static Path dir;
    static TestPki.Identity server;
    static TestPki.Identity ca;
    static TestPki.Identity otherCa;
    static TestPki.Identity agent;
    static TestPki.Identity agentCn;
    static TestPki.Identity agentSanId;
    static TestPki.Identity foreign;
    static TestPki.Identity serverOnly;
    static TestPki.Identity expired;
    static Path caFile;

    TunnelServer srv;

    @BeforeAll
    static void pki() throws Exception {
        TestPki pki = new TestPki(dir);
        server = pki.selfSigned("server", "EC", "CN=server", "SAN=ip:127.0.0.1");
        ca = pki.ca("agentca");
        otherCa = pki.ca("otherca");
        agent = pki.signed(ca, "agent", "CN=agent-one", "EKU=clientAuth");
        agentCn = pki.signed(ca, "agentcn", "CN=" + TOKEN);
        agentSanId = pki.signed(ca, "agentsan", "CN=whatever", "SAN=dns:" + TokenIds.id(TOKEN));
        foreign = pki.signed(otherCa, "foreign", "CN=" + TOKEN);
        serverOnly = pki.signed(ca, "serveronly", "CN=" + TOKEN, "EKU=serverAuth");
        expired = pki.expired(ca, "expired", "CN=" + TOKEN);
        caFile = Files.writeString(dir.resolve("agent-ca.pem"), Pem.encode(ca.cert()));
    }

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.stop(Duration.ZERO);
        }
    }

    void start(boolean bindsToken) throws Exception {
        Path[] files = server.writePem(dir.resolve("server.crt"), dir.resolve("server.key"));
        srv = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0).httpTimeout(Duration.ofSeconds(20))
                .tls(TlsSettings.pem(files[0].toString(), files[1].toString()).withAgentCa(caFile.toString(), bindsToken))
                .build());
    }

    SSLContext as(TestPki.Identity id) throws Exception {
        return id.keyContext(server.cert());
    }

    RawHttps.Answer handshake(SSLContext ctx) throws Exception {
        return RawHttps.upgrade(srv.port(), ctx, TOKEN);
    }

    @Test
    void agentsNeedACertificateFromTheAgentCaCallersDoNot() throws Exception {
        start(false);
        RawHttps.Answer none = handshake(TestPki.trusting(server.cert()));
        assertThat(none.status()).isEqualTo(403);
        assertThat(none.text()).endsWith(AgentCertificates.REQUIRED);
        assertThat(handshake(as(foreign)).text()).contains("403").endsWith(AgentCertificates.UNTRUSTED);
        assertThat(handshake(as(serverOnly)).text()).contains("403").endsWith(AgentCertificates.NOT_CLIENT);
        assertThat(handshake(as(expired)).text()).contains("403").endsWith(AgentCertificates.EXPIRED);
        assertThat(handshake(as(agent)).status()).isEqualTo(101);

        // A real agent with its certificate serves a caller that has none.
        try (FrameAgent a = FrameAgent.connect(URI.create("wss://127.0.0.1:" + srv.port() + "/_tunnel"), TOKEN, as(agent),
                Map.of())) {
            HttpClient caller = HttpClient.newBuilder().sslContext(TestPki.trusting(server.cert())).build();
            CompletableFuture<HttpResponse<String>> resp = caller.sendAsync(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + srv.port() + "/x")).header("X-Token", TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            Frame.Open open = a.next(Frame.Open.class);
            a.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "OK", Headers.EMPTY), false));
            a.send(new Frame.Data(open.streamId(), ByteBuffer.wrap("mtls".getBytes()), true));
            assertThat(resp.get(10, TimeUnit.SECONDS).body()).isEqualTo("mtls");
        }
    }

    @Test
    void boundCertificatesMustNameTheTokenOrItsId() throws Exception {
        start(true);
        assertThat(handshake(as(agent)).text()).contains("403").endsWith(AgentCertificates.WRONG_TOKEN);
        assertThat(handshake(as(agentCn)).status()).isEqualTo(101);
        assertThat(handshake(as(agentSanId)).status()).isEqualTo(101);
        assertThat(handshake(as(foreign)).text()).contains("403").endsWith(AgentCertificates.UNTRUSTED);
        try (FrameAgent a = FrameAgent.connect(URI.create("wss://127.0.0.1:" + srv.port() + "/_tunnel"), TOKEN, as(agentCn),
                Map.of())) {
            assertThat(a).isNotNull();
        }
    }

    @Test
    void aCaCertificateIsNotAnAgentCertificate() {
        AgentCertificates check = new AgentCertificates(java.util.List.of(ca.cert()), false);
        assertThat(check.check(new java.security.cert.X509Certificate[] {ca.cert()}, TOKEN))
                .isEqualTo(AgentCertificates.UNTRUSTED);
        assertThat(check.check(agent.chain().toArray(new java.security.cert.X509Certificate[0]), TOKEN)).isNull();
        assertThat(check.check(null, TOKEN)).isEqualTo(AgentCertificates.REQUIRED);
    }
}
