package io.wstunnel.cli.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wstunnel.cli.Agent;
import io.wstunnel.cli.AgentConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Legacy keep-alive (LEGACY.md §3): the agent pings at once and every timeout/3, redials without pongs. */
@Timeout(30)
class LegacyKeepAliveTest {
    @TempDir
    Path dir;

    private static AgentConfig.Builder config(LegacyTestServer s) {
        return AgentConfig.builder().tunnel(s.uri()).token("vectortoken0123456789").timeout(Duration.ofSeconds(3))
                .dialTimeout(Duration.ofSeconds(5)).maxBackoff(Duration.ofMillis(500)).shutdownGrace(Duration.ZERO);
    }

    @Test
    void pingsAtOnceThenEveryThirdOfTheTimeoutAndWritesTheStatusFileOnPongs() throws Exception {
        Path status = dir.resolve("status");
        try (LegacyTestServer s = new LegacyTestServer()) {
            Agent a = Agent.start(config(s).statusFile(status).build());
            try {
                assertThat(a.awaitConnected(Duration.ofSeconds(10))).isTrue();
                await().atMost(Duration.ofMillis(700)).until(() -> s.pings.get() >= 1); // at once, not after 1 s
                await().atMost(Duration.ofSeconds(5)).until(() -> s.pings.get() >= 3);
                await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(status));
                assertThat(Files.readString(status)).matches("Unix: \\d+\nTime: \\d{4}-\\d\\d-\\d\\dT[0-9:]+(Z|[+-]\\d\\d:\\d\\d)\n");
                assertThat(s.upgrades.get()).isEqualTo(1);
            } finally {
                a.stop(Duration.ZERO);
            }
        }
    }

    @Test
    void redialsWhenThePongsStop() throws Exception {
        try (LegacyTestServer s = new LegacyTestServer()) {
            s.answerPings = false;
            Agent a = Agent.start(config(s).build());
            try {
                await().atMost(Duration.ofSeconds(15)).until(() -> s.upgrades.get() >= 2);
            } finally {
                a.stop(Duration.ZERO);
            }
        }
    }

    @Test
    void v2OnlyAgentRefusesALegacyServer() throws Exception {
        try (LegacyTestServer s = new LegacyTestServer()) {
            Agent a = Agent.start(config(s).protocol(AgentConfig.Protocol.V2).build());
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> s.upgrades.get() >= 2);
                assertThat(a.isConnected()).isFalse();
            } finally {
                a.stop(Duration.ZERO);
            }
        }
    }
}
