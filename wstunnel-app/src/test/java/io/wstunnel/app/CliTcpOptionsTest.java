package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.cli.AgentConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code wstunnel cli -tcp name=host:port} (repeatable). */
class CliTcpOptionsTest {
    private static AgentConfig config(String... extra) {
        String[] args = new String[4 + extra.length + 1];
        args[0] = "cli";
        args[1] = "-tunnel";
        args[2] = "ws://srv.example:8080";
        args[3] = "-token";
        args[4] = "0123456789abcdef";
        System.arraycopy(extra, 0, args, 5, extra.length);
        CliCommand cli = Cmd.parse(args);
        return cli.agentConfig(Map.of());
    }

    @Test
    void noTcpTargetsByDefault() {
        assertThat(config().tcpTargets()).isEmpty();
    }

    @Test
    void repeatableNameEqualsHostPort() {
        AgentConfig c = config("-tcp", "ssh=127.0.0.1:22", "--tcp", "db=db.internal:5432", "-tcp", "v6=[::1]:8022");
        assertThat(c.tcpTargets()).containsExactly(Map.entry("db", "db.internal:5432"), Map.entry("ssh", "127.0.0.1:22"),
                Map.entry("v6", "[::1]:8022"));
    }

    @Test
    void malformedValuesAreUsageErrors() {
        assertThatThrownBy(() -> config("-tcp", "ssh")).isInstanceOf(UsageException.class).hasMessageContaining("name=host:port");
        assertThatThrownBy(() -> config("-tcp", "ssh=host")).isInstanceOf(UsageException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> config("-tcp", "ssh=host:0")).isInstanceOf(UsageException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> config("-tcp", "s s=host:22")).isInstanceOf(UsageException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> config("-tcp", "a=h:1", "-tcp", "a=h:2")).isInstanceOf(UsageException.class)
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> config("-tcp", "a=::1:22")).isInstanceOf(UsageException.class).hasMessageContaining("brackets");
    }
}
