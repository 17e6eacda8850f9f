package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.srv.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SrvOptionsTest {

    @TempDir
    Path dir;

    private static ServerConfig config(String... args) {
        SrvCommand srv = Cmd.parse(args);
        return srv.serverConfig();
    }

    @Test
    void defaultsAreThoseOfTheGoServer() {
        ServerConfig c = config("srv");
        assertThat(c.port()).isEqualTo(80);
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.basePath()).isEmpty();
        assertThat(c.httpTimeout()).isEqualTo(Duration.ofSeconds(1200));
        assertThat(c.wsTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.maxRequestsPerTunnel()).isEqualTo(20);
        assertThat(c.maxClientsPerToken()).isZero();
        assertThat(c.passwords()).isEmpty();
        assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
        SrvCommand srv = Cmd.parse("srv");
        assertThat(srv.logging().logLevel()).isEqualTo(LogLevel.INFO);
        assertThat(srv.logging().logFile()).isNull();
        assertThat(srv.daemon().pidFile()).isNull();
    }

    @Test
    void limitFlagsHaveSecureDefaultsAndReachTheConfig() {
        assertThat(config("srv").limits()).isEqualTo(io.wstunnel.srv.limits.Limits.DEFAULT);
        assertThat(config("srv").settings()).isEqualTo(io.wstunnel.protocol.Settings.DEFAULT);
        ServerConfig c = config("srv", "-max-header-bytes", "4096", "-max-uri-length", "1024", "-max-body-bytes", "1000",
                "-rate-limit", "5", "-rate-burst", "10", "-max-conns-per-addr", "3", "-idle-timeout", "7",
                "-header-timeout", "8", "-read-timeout", "9", "-max-tunnels", "2", "-max-streams-per-agent", "4",
                "-hello-timeout", "5", "-agent-frame-rate", "100", "-max-frame-payload", "2048", "-stream-window", "4096",
                "-max-stream-window", "65536");
        io.wstunnel.srv.limits.Limits l = c.limits();
        assertThat(l.maxHeaderBytes()).isEqualTo(4096);
        assertThat(l.maxUriLength()).isEqualTo(1024);
        assertThat(l.maxBodyBytes()).isEqualTo(1000);
        assertThat(l.requestsPerSecond()).isEqualTo(5.0);
        assertThat(l.requestBurst()).isEqualTo(10);
        assertThat(l.maxConnectionsPerAddress()).isEqualTo(3);
        assertThat(l.idleTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(l.requestParseTimeout()).isEqualTo(Duration.ofSeconds(8));
        assertThat(l.readTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(l.maxTunnels()).isEqualTo(2);
        assertThat(l.maxStreamsPerAgent()).isEqualTo(4);
        assertThat(l.agentHelloTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(l.agentControlFramesPerSecond()).isEqualTo(100);
        assertThat(c.settings().maxFramePayload()).isEqualTo(2048);
        assertThat(c.settings().initialWindow()).isEqualTo(4096);
        assertThat(l.maxStreamWindow()).isEqualTo(65536);
        assertThat(l.agentWindowBudget()).isEqualTo(2 * 65536);
        assertThatThrownBy(() -> config("srv", "-max-stream-window", "0")).isInstanceOf(UsageException.class)
                .hasMessage("-max-stream-window must be at least 1, got 0");
        assertThatThrownBy(() -> config("srv", "-max-header-bytes", "10")).isInstanceOf(UsageException.class)
                .hasMessage("-max-header-bytes must be at least 1024, got 10");
        assertThatThrownBy(() -> config("srv", "-max-frame-payload", "10")).isInstanceOf(UsageException.class)
                .hasMessage("-max-frame-payload must be 1024..16777216, got 10");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-port=8080", "-port 8080", "--port 8080", "--port=8080"})
    void portInEveryGoAndGnuSpelling(String spelling) {
        assertThat(config(("srv " + spelling).split(" ")).port()).isEqualTo(8080);
    }

    @Test
    void everyOptionMapsToTheServerConfig() {
        ServerConfig c = config("srv", "-port", "0", "-host=127.0.0.1", "-base-path", "/wstunnel/",
                "-httptimeout", "2", "-wstimeout=45", "-max-requests-per-tunnel", "5", "-max-clients-per-token", "2",
                "-passwords", "tokenAAAAAAAAAAAA:pw1,tokenBBBBBBBBBBBB:p:w:2", "-shutdown-grace", "7");
        assertThat(c.port()).isZero();
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.basePath()).isEqualTo("/wstunnel");
        assertThat(c.httpTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.wsTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.maxRequestsPerTunnel()).isEqualTo(5);
        assertThat(c.maxClientsPerToken()).isEqualTo(2);
        assertThat(c.passwords()).containsExactlyInAnyOrderEntriesOf(
                Map.of("tokenAAAAAAAAAAAA", "pw1", "tokenBBBBBBBBBBBB", "p:w:2"));
        assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void adminOptionsMapToTheServerConfig() throws IOException {
        ServerConfig c = config("srv", "-admin-token", "s3cr3t-admin", "--admin-listen=127.0.0.1:9090",
                "-trusted-proxies", "10.0.0.0/8, 192.168.1.1/32", "-audit-log", "/tmp/audit.jsonl");
        assertThat(c.adminToken()).isEqualTo("s3cr3t-admin");
        assertThat(c.adminListen()).isEqualTo("127.0.0.1:9090");
        assertThat(c.trustedProxies()).containsExactly("10.0.0.0/8", "192.168.1.1/32");
        assertThat(c.auditLog()).isEqualTo("/tmp/audit.jsonl");
        Path yaml = Files.createTempFile("srv", ".yaml");
        try {
            Files.writeString(yaml, "admin-token: from-yaml\ntrusted-proxies: [\"127.0.0.1/32\"]\n");
            ServerConfig y = config("srv", "-config", yaml.toString());
            assertThat(y.adminToken()).isEqualTo("from-yaml");
            assertThat(y.trustedProxies()).containsExactly("127.0.0.1/32");
        } finally {
            Files.deleteIfExists(yaml);
        }
        ServerConfig none = config("srv");
        assertThat(none.adminToken()).isEmpty();
        assertThat(none.trustedProxies()).isEmpty();
        assertThat(none.auditLog()).isEmpty();
    }

    @Test
    void passwordsMayBeRepeated() {
        assertThat(config("srv", "-passwords", "token-a-0123456789:1", "-passwords", "token-b-0123456789:2").passwords())
                .containsExactlyInAnyOrderEntriesOf(Map.of("token-a-0123456789", "1", "token-b-0123456789", "2"));
    }

    @Test
    void aTokenGivenTwiceInPasswordsIsRefusedWithoutEitherPassword() {
        assertThatThrownBy(() -> config("srv", "-passwords", "token-a-0123456789:first,token-a-0123456789:second"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("listed twice")
                .hasMessageNotContaining("first").hasMessageNotContaining("second");
        assertThatThrownBy(() -> config("srv", "-passwords", "token-a-0123456789:1", "-passwords", "token-a-0123456789:1"))
                .isInstanceOf(UsageException.class).hasMessageContaining("listed twice");
    }

    @Test
    void reconnectGraceFromTheCommandLineOrYaml() throws IOException {
        assertThat(config("srv").reconnectGrace()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config("srv", "-reconnect-grace", "5").reconnectGrace()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config("srv", "--reconnect-grace=0").reconnectGrace()).isZero();
        Path yaml = Files.writeString(dir.resolve("grace.yaml"), "reconnect-grace: 90\n");
        assertThat(config("srv", "-config", yaml.toString()).reconnectGrace()).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> config("srv", "-reconnect-grace", "-1")).isInstanceOf(UsageException.class)
                .hasMessageContaining("-reconnect-grace");
    }

    @Test
    void wsTimeoutIsClampedLikeGo() {
        assertThat(config("srv", "-wstimeout", "1").wsTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config("srv", "-wstimeout", "9999").wsTimeout()).isEqualTo(Duration.ofSeconds(600));
    }

    @Test
    void logOptions() {
        SrvCommand srv = Cmd.parse("srv", "-log-level", "DEBUG", "-logfile", "/tmp/x.log", "-pidfile=/tmp/x.pid");
        assertThat(srv.logging().logLevel()).isEqualTo(LogLevel.DEBUG);
        assertThat(srv.logging().logFile()).isEqualTo(Path.of("/tmp/x.log"));
        assertThat(srv.daemon().pidFile()).isEqualTo(Path.of("/tmp/x.pid"));
    }

    @Test
    void badPasswordsEntryIsRejectedWithoutEchoingTheSecret() {
        assertThatThrownBy(() -> config("srv", "-passwords", "tokenwithoutpasswordatall"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("token:password")
                .hasMessageNotContaining("tokenwithoutpasswordatall");
    }

    @Test
    void yamlConfigFillsInAndTheCommandLineWins() throws IOException {
        Path yaml = Files.writeString(dir.resolve("srv.yaml"), String.join("\n",
                "# comment",
                "port: 8080",
                "host: 127.0.0.1",
                "base-path: /tun",
                "max-requests-per-tunnel: 5",
                "wstimeout: 60",
                "passwords:",
                "  - tokenAAAAAAAAAAAA:pw1",
                "  - tokenBBBBBBBBBBBB:pw2",
                "log-level: warn",
                ""));
        ServerConfig c = config("srv", "-config", yaml.toString(), "-port", "9090");
        assertThat(c.port()).isEqualTo(9090);
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.basePath()).isEqualTo("/tun");
        assertThat(c.maxRequestsPerTunnel()).isEqualTo(5);
        assertThat(c.wsTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.httpTimeout()).isEqualTo(Duration.ofSeconds(1200));
        assertThat(c.passwords()).containsOnlyKeys("tokenAAAAAAAAAAAA", "tokenBBBBBBBBBBBB");
        SrvCommand srv = Cmd.parse("srv", "-config=" + yaml, "-log-level", "error");
        assertThat(srv.logging().logLevel()).isEqualTo(LogLevel.ERROR);
        assertThat(((SrvCommand) Cmd.parse("srv", "--config", yaml.toString())).logging().logLevel())
                .isEqualTo(LogLevel.WARN);
    }

    @Test
    void yamlPasswordsAsStringOrMapping() throws IOException {
        Path s = Files.writeString(dir.resolve("a.yaml"), "passwords: \"token-a-0123456789:b,token-c-0123456789:d\"\n");
        assertThat(config("srv", "-config", s.toString()).passwords())
                .containsOnlyKeys("token-a-0123456789", "token-c-0123456789");
        Path m = Files.writeString(dir.resolve("b.yaml"), "passwords:\n  tokA-0123456789ab: pw1\n  tokB-0123456789ab: pw2\n");
        assertThat(config("srv", "-config", m.toString()).passwords())
                .containsExactlyInAnyOrderEntriesOf(Map.of("tokA-0123456789ab", "pw1", "tokB-0123456789ab", "pw2"));
    }

    @Test
    void aYamlListElementOrMappingEntryIsOnePasswordEntryCommasIncluded() throws IOException {
        Path flow = Files.writeString(dir.resolve("flow.yaml"),
                "passwords: [\"token-a-0123456789:pa,ss\", \"token-b-0123456789:x:y,z\"]\n");
        assertThat(config("srv", "-config", flow.toString()).passwords()).containsExactlyInAnyOrderEntriesOf(
                Map.of("token-a-0123456789", "pa,ss", "token-b-0123456789", "x:y,z"));
        Path block = Files.writeString(dir.resolve("block.yaml"), "passwords:\n  - 'token-a-0123456789:,lead,trail,'\n");
        assertThat(config("srv", "-config", block.toString()).passwords())
                .containsExactlyEntriesOf(Map.of("token-a-0123456789", ",lead,trail,"));
        Path mapping = Files.writeString(dir.resolve("map.yaml"), "passwords:\n  token-a-0123456789: \"p,w\"\n");
        assertThat(config("srv", "-config", mapping.toString()).passwords())
                .containsExactlyEntriesOf(Map.of("token-a-0123456789", "p,w"));
        // the command line still splits at commas, and wins over the file
        assertThat(config("srv", "-config", flow.toString(), "-passwords", "token-c-0123456789:p,token-d-0123456789:q")
                .passwords()).containsExactlyInAnyOrderEntriesOf(
                        Map.of("token-c-0123456789", "p", "token-d-0123456789", "q"));
    }

    @Test
    void aPlainYamlStringOfPasswordsSplitsAtCommasAsTheFlagDoes() throws IOException {
        Path s = Files.writeString(dir.resolve("s.yaml"), "passwords: \"token-a-0123456789:p:1,token-b-0123456789:q\"\n");
        assertThat(config("srv", "-config", s.toString()).passwords()).containsExactlyInAnyOrderEntriesOf(
                Map.of("token-a-0123456789", "p:1", "token-b-0123456789", "q"));
    }

    @Test
    void aCommaPasswordOnTheCommandLineIsRefusedWithAHintAndWithoutThePassword() {
        Cmd.Result r = Cmd.run("srv", "-passwords", "token-a-0123456789:hunter,2secret");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).hasLineCount(1).contains("token:password", "one element of a YAML list")
                .doesNotContain("hunter", "2secret");
        for (String entry : new String[] {":hunter2secret", "token-a-0123456789:", "hunter2secret"}) {
            assertThatThrownBy(() -> config("srv", "-passwords", entry)).as(entry)
                    .isInstanceOf(UsageException.class).hasMessageContaining("token:password")
                    .hasMessageNotContaining("hunter").hasMessageNotContaining("token-a-0123456789");
        }
    }

    @Test
    void unknownYamlKeyIsOneLineError() throws IOException {
        Path yaml = Files.writeString(dir.resolve("bad.yaml"), "port: 8080\nprot: 1\n");
        Cmd.Result r = Cmd.run("srv", "-config", yaml.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("unknown key 'prot'").hasLineCount(1);
    }

    @Test
    void badYamlValueIsOneLineError() throws IOException {
        Path yaml = Files.writeString(dir.resolve("bad.yaml"), "port: eighty\n");
        Cmd.Result r = Cmd.run("srv", "-config", yaml.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("-port").contains("eighty").hasLineCount(1);
    }

    @Test
    void invalidYamlIsOneLineError() throws IOException {
        Path yaml = Files.writeString(dir.resolve("bad.yaml"), "port: [8080\n");
        Cmd.Result r = Cmd.run("srv", "-config", yaml.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("not valid YAML").hasLineCount(1);
    }

    @Test
    void missingConfigFile() {
        Cmd.Result r = Cmd.run("srv", "-config", dir.resolve("nope.yaml").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("no such file").hasLineCount(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "-port abc|-port",
        "-port=70000|-port must be 0..65535",
        "-port -1|-port must be 0..65535",
        "-httptimeout 0|-httptimeout",
        "-max-requests-per-tunnel 0|-max-requests-per-tunnel",
        "-max-clients-per-token -1|-max-clients-per-token",
        "-httptimeout 31536001|-httptimeout must be 1..31536000 seconds, got 31536001",
        "-reconnect-grace -1|-reconnect-grace must be 0..31536000 seconds (0 = never wait for an absent agent), got -1",
        "-reconnect-grace 9223372036854775807|-reconnect-grace must be 0..31536000 seconds",
        "-shutdown-grace -1|-shutdown-grace must be 0..31536000 seconds, got -1",
        "-shutdown-grace 31536001|-shutdown-grace must be 0..31536000 seconds, got 31536001",
        "-reload-interval -1|-reload-interval must be 0..31536000 seconds (0 = never), got -1",
        "-reload-interval 31536001|-reload-interval must be 0..31536000 seconds (0 = never), got 31536001",
        "-max-header-bytes 1023|-max-header-bytes must be at least 1024, got 1023",
        "-max-uri-length 255|-max-uri-length must be at least 256, got 255",
        "-max-body-bytes -1|-max-body-bytes must be 0 (unlimited) or more, got -1",
        "-rate-limit -1|-rate-limit must be 0 (unlimited) or a number of at least 0.001 per second, got -1.0",
        "-rate-limit 0.0001|-rate-limit must be 0 (unlimited) or a number of at least 0.001 per second, got 1.0E-4",
        "-rate-limit NaN|-rate-limit must be 0 (unlimited) or a number of at least 0.001 per second, got NaN",
        "-rate-limit Infinity|-rate-limit must be 0 (unlimited) or a number of at least 0.001 per second, got Infinity",
        "-rate-burst 0|-rate-burst must be at least 1, got 0",
        "-max-conns-per-addr -1|-max-conns-per-addr must be 0 (unlimited) or more, got -1",
        "-idle-timeout 0|-idle-timeout must be 1..31536000 seconds, got 0",
        "-idle-timeout 31536001|-idle-timeout must be 1..31536000 seconds, got 31536001",
        "-header-timeout 0|-header-timeout must be 1..31536000 seconds, got 0",
        "-header-timeout -5|-header-timeout must be 1..31536000 seconds, got -5",
        "-read-timeout 0|-read-timeout must be 1..31536000 seconds, got 0",
        "-read-timeout 31536001|-read-timeout must be 1..31536000 seconds, got 31536001",
        "-max-tunnels -1|-max-tunnels must be 0 (unlimited) or more, got -1",
        "-max-streams-per-agent 0|-max-streams-per-agent must be at least 1, got 0",
        "-hello-timeout 0|-hello-timeout must be 1..31536000 seconds, got 0",
        "-hello-timeout 31536001|-hello-timeout must be 1..31536000 seconds, got 31536001",
        "-agent-frame-rate 0|-agent-frame-rate must be at least 1, got 0",
        "-max-frame-payload 1023|-max-frame-payload must be 1024..16777216, got 1023",
        "-max-frame-payload 16777217|-max-frame-payload must be 1024..16777216, got 16777217",
        "-stream-window 0|-stream-window must be at least 1, got 0",
        "-max-stream-window -1|-max-stream-window must be at least 1, got -1",
        "-log-level loud|-log-level",
        "-port|-port",
        "-prot 8080|-prot",
    })
    @Timeout(30) // a value wrongly accepted would start a server that runs on
    void badValuesExitNonZeroWithOneLine(String spec) {
        String[] parts = spec.split("\\|");
        String[] args = ("srv " + parts[0]).split(" ");
        Cmd.Result r = Cmd.run(args);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).hasLineCount(1).startsWith("wstunnel srv: ").contains(parts[1])
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    /** The ends of every range are accepted (0 wherever it means "unlimited" or "never"). */
    @Test
    void rangeEndsAreAccepted() {
        ServerConfig low = config("srv", "-httptimeout", "1", "-reconnect-grace", "0", "-shutdown-grace", "0",
                "-reload-interval", "0", "-max-header-bytes", "1024", "-max-uri-length", "256", "-max-body-bytes", "0",
                "-rate-limit", "0.001", "-rate-burst", "1", "-max-conns-per-addr", "0", "-idle-timeout", "1",
                "-header-timeout", "1", "-read-timeout", "1", "-max-tunnels", "0", "-max-streams-per-agent", "1",
                "-hello-timeout", "1", "-agent-frame-rate", "1", "-max-frame-payload", "1024", "-stream-window", "1",
                "-max-stream-window", "1");
        assertThat(low.limits().requestsPerSecond()).isEqualTo(0.001);
        assertThat(low.reconnectGrace()).isZero();
        String year = String.valueOf(OptionChecks.MAX_SECONDS);
        ServerConfig high = config("srv", "-httptimeout", year, "-reconnect-grace", year, "-shutdown-grace", year,
                "-reload-interval", year, "-idle-timeout", year, "-header-timeout", year, "-read-timeout", year,
                "-hello-timeout", year, "-max-frame-payload", "16777216", "-rate-limit", "1e9");
        assertThat(high.httpTimeout()).isEqualTo(Duration.ofDays(365));
        assertThat(high.limits().agentHelloTimeout()).isEqualTo(Duration.ofDays(365));
        assertThat(high.settings().maxFramePayload()).isEqualTo(16777216);
    }

    @Test
    void errorMessagesUseTheGoSpellingOfOptionNames() {
        Cmd.Result r = Cmd.run("srv", "--port", "abc");
        assertThat(r.err()).contains("'-port'").doesNotContain("'--port'");
    }
}
