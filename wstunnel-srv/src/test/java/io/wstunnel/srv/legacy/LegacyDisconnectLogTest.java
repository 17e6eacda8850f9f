package io.wstunnel.srv.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wstunnel.srv.LogCapture;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A legacy agent's connect and disconnect lines both name its address and version (issue 2, "Logging"). */
@Timeout(30)
class LegacyDisconnectLogTest {
    static final String TOKEN = "legacy-log-token-0123456789";

    @Test
    void disconnectLineNamesTheVersion() throws Exception {
        try (LogCapture log = LogCapture.info("io.wstunnel.srv.legacy")) {
            TunnelServer server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0).build());
            try {
                LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
                agent.close();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(log.messages())
                        .anySatisfy(m -> assertThat(m).contains(io.wstunnel.srv.tunnel.TokenRegistry.cut(TOKEN)).contains("disconnected")
                                .contains("version 'legacy-test-agent'")));
                assertThat(log.messages()).allSatisfy(m -> assertThat(m).doesNotContain(TOKEN));
            } finally {
                server.stop(Duration.ZERO);
            }
        }
    }
}
