package io.wstunnel.srv.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Go server's base-path captures (vectors part C3, server {@code -base-path /wst}): the request a
 * caller sent under /wst reaches the agent with the base path (and the token prefix) stripped, as
 * srv-to-agent/30-*.bin and 31-*.bin show, and the caller gets what curl got.
 */
class LegacyBasePathGoldenTest {
    static final String TOKEN = LegacyGoldenServerTest.TOKEN;

    static TunnelServer server;
    static LegacyTestAgent agent;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(LegacyGoldenServerTest.VECTORS.resolve("srv-to-agent")),
                "vectors not available");
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0).basePath("/wst")
                .httpTimeout(Duration.ofSeconds(20)).build());
        agent = LegacyTestAgent.connect(URI.create("ws://127.0.0.1:" + server.port() + "/wst/_tunnel"), TOKEN, true);
    }

    @AfterAll
    static void stop() {
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.stop(Duration.ZERO);
        }
    }

    @ParameterizedTest
    @CsvSource({
        "30-basepath-x-token,   /wst,                            basepath-tunnelled-get",
        "31-basepath-token-path, /wst/_token/vectortoken0123456789, basepath-token-path-get",
    })
    void theBasePathIsStrippedAsByTheGoServer(String name, String callerPrefix, String callerFile) throws Exception {
        LegacyTestAgent.Request go = LegacyTestAgent.parse(
                Files.readAllBytes(LegacyGoldenServerTest.VECTORS.resolve("srv-to-agent/" + name + ".bin")));
        StringBuilder req = new StringBuilder(go.method() + " " + callerPrefix + go.target() + " HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(server.port()).append("\r\n");
        for (String[] h : go.headers()) {
            if (!h[0].equalsIgnoreCase("Host")) {
                req.append(h[0]).append(": ").append(h[1]).append("\r\n");
            }
        }
        req.append("Connection: close\r\n\r\n");

        try (Socket caller = new Socket("127.0.0.1", server.port())) {
            caller.setSoTimeout(15_000);
            caller.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));

            LegacyTestAgent.Request ours = agent.next();
            assertThat(ours.method()).isEqualTo(go.method());
            assertThat(ours.target()).isEqualTo(go.target());
            assertThat(LegacyGoldenServerTest.mask(ours.header("Host"))).isEqualTo(LegacyGoldenServerTest.mask(go.header("Host")));
            assertThat(ours.header("User-Agent")).isEqualTo(go.header("User-Agent"));
            assertThat(LegacyGoldenServerTest.forwarded(ours)).isEqualTo(LegacyGoldenServerTest.forwarded(go));
            assertThat(LegacyGoldenServerTest.sortedAfterFraming(ours)).isTrue();
            assertThat(ours.header("X-Token")).isNull();

            agent.reply(ours.idText(), "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nyes");
            LegacyGoldenServerTest.Response got = LegacyGoldenServerTest.Response.read(caller.getInputStream(), false);
            LegacyGoldenServerTest.Response want = LegacyGoldenServerTest.Response.parseCurl(Files.readAllBytes(
                    LegacyGoldenServerTest.VECTORS.resolve("srv-endpoints/" + callerFile + ".txt")));
            assertThat(got.status).isEqualTo(want.status);
            assertThat(new String(got.body, StandardCharsets.ISO_8859_1)).isEqualTo(new String(want.body, StandardCharsets.ISO_8859_1));
            assertThat(got.all("Content-Type")).isEqualTo(want.all("Content-Type"));
        }
    }
}
