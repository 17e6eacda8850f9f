package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.cli.AgentConfig;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Go wstunnel flags we do not implement are accepted with a warning; -protocol selects the framing. */
class GoCompatOptionsTest {
    static final String TOKEN = "0123456789abcdef";

    @ParameterizedTest
    @ValueSource(strings = {"-syslog=local0", "-robowhois=abc123", "-client-ports=8080,8081"})
    void srvAcceptsGoOnlyFlags(String flag) {
        SrvCommand srv = Cmd.parse("srv", "-port", "0", flag);
        assertThat(srv.serverConfig()).isNotNull();
        assertThat(srv.goCompat.ignored()).hasSize(1);
        assertThat(srv.goCompat.ignored().get(0)).startsWith(flag.substring(0, flag.indexOf('='))).contains("ignored");
    }

    @Test
    void srvAcceptsGoFlagsWithSeparateValues() {
        SrvCommand srv = Cmd.parse("srv", "-port", "0", "-syslog", "local0", "-robowhois", "abc", "-client-ports", "1,2");
        assertThat(srv.goCompat.ignored()).hasSize(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-syslog=local0", "-robowhois=abc123", "-client-ports=8080,8081"})
    void cliAcceptsGoOnlyFlags(String flag) {
        CliCommand cli = Cmd.parse("cli", "-tunnel", "ws://127.0.0.1:1", "-token", TOKEN, flag);
        assertThat(cli.agentConfig(Map.of())).isNotNull();
        assertThat(cli.goCompat.ignored()).hasSize(1);
    }

    @Test
    void noGoFlagsNoWarnings() {
        CliCommand cli = Cmd.parse("cli", "-tunnel", "ws://127.0.0.1:1", "-token", TOKEN);
        assertThat(cli.goCompat.ignored()).isEmpty();
    }

    @Test
    void protocolDefaultsToAuto() {
        CliCommand cli = Cmd.parse("cli", "-tunnel", "ws://127.0.0.1:1", "-token", TOKEN);
        assertThat(cli.agentConfig(Map.of()).protocol()).isEqualTo(AgentConfig.Protocol.AUTO);
    }

    @ParameterizedTest
    @ValueSource(strings = {"auto", "v2", "legacy", "LEGACY"})
    void protocolValues(String value) {
        CliCommand cli = Cmd.parse("cli", "-tunnel", "ws://127.0.0.1:1", "-token", TOKEN, "-protocol", value);
        assertThat(cli.agentConfig(Map.of()).protocol()).isEqualTo(AgentConfig.Protocol.parse(value));
    }

    @Test
    void badProtocolIsAOneLineUsageError() {
        CliCommand cli = Cmd.parse("cli", "-tunnel", "ws://127.0.0.1:1", "-token", TOKEN, "-protocol", "v3");
        assertThatThrownBy(() -> cli.agentConfig(Map.of())).isInstanceOf(UsageException.class)
                .hasMessage("-protocol must be auto, v2 or legacy, not 'v3'");
    }
}
