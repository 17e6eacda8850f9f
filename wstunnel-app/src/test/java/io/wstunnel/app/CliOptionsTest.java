package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.cli.AgentConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bounded: a value wrongly accepted by badValuesExitNonZeroWithOneLine would start an agent that runs on. */
@Timeout(60)
class CliOptionsTest {
    static final String TOKEN = "0123456789abcdef";

    @TempDir
    Path dir;

    private static AgentConfig config(Map<String, String> env, String... args) {
        CliCommand cli = Cmd.parse(args);
        return cli.agentConfig(env);
    }

    private static AgentConfig config(String... args) {
        return config(Map.of(), args);
    }

    @Test
    void minimalCommandLineAndDefaults() {
        AgentConfig c = config("cli", "-tunnel", "ws://srv.example.com:8080", "-token", TOKEN);
        assertThat(c.tunnel()).isEqualTo(URI.create("ws://srv.example.com:8080"));
        assertThat(c.token()).isEqualTo(TOKEN);
        assertThat(c.password()).isNull();
        assertThat(c.server()).isNull();
        assertThat(c.hostPattern()).isNull();
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.insecure()).isFalse();
        assertThat(c.certFile()).isNull();
        assertThat(c.proxy()).isNull();
        assertThat(c.statusFile()).isNull();
        assertThat(c.clientVersion()).isEqualTo("wstunnel-java/" + Version.get()).doesNotEndWith("unknown");
        assertThat(c.localResponseTimeout()).as("the server's default -httptimeout")
                .isEqualTo(Duration.ofSeconds(1200)).isEqualTo(AgentConfig.DEFAULT_RESPONSE_TIMEOUT);
    }

    @Test
    void responseTimeoutFromTheCommandLineAndYaml() throws IOException {
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-response-timeout", "90").localResponseTimeout())
                .isEqualTo(Duration.ofSeconds(90));
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN, "--response-timeout=1").localResponseTimeout())
                .isEqualTo(Duration.ofSeconds(1));
        Path yaml = Files.writeString(dir.resolve("cli.yaml"), "tunnel: ws://h\ntoken: " + TOKEN + "\nresponse-timeout: 45\n");
        assertThat(config("cli", "-config", yaml.toString()).localResponseTimeout()).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void everyOptionMapsToTheAgentConfig() throws IOException {
        Path pem = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        AgentConfig c = config("cli", "-tunnel=wss://srv.example.com/wstunnel", "--token", TOKEN + ":secret",
                "-server", "http://localhost:3000/app", "-regexp", "https://.*\\.example\\.com", "-timeout", "90",
                "-insecure", "-certfile", pem.toString(), "-proxy", "http://u:p@proxy:3128",
                "-statusfile", dir.resolve("status").toString(), "-shutdown-grace=5", "-max-stream-window", "1048576");
        assertThat(c.tunnel()).isEqualTo(URI.create("wss://srv.example.com/wstunnel"));
        assertThat(c.token()).isEqualTo(TOKEN);
        assertThat(c.password()).isEqualTo("secret");
        assertThat(c.server()).isEqualTo(URI.create("http://localhost:3000/app"));
        assertThat(c.hostPattern().matcher("https://www.example.com").matches()).isTrue();
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.insecure()).isTrue();
        assertThat(c.certFile()).isEqualTo(pem);
        assertThat(c.proxy()).isEqualTo(URI.create("http://u:p@proxy:3128"));
        assertThat(c.statusFile()).isEqualTo(dir.resolve("status"));
        assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.maxStreamWindow()).isEqualTo(1048576);
        assertThat(c.windowBudget()).isEqualTo(2L * 1048576);
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN).maxStreamWindow())
                .isEqualTo(AgentConfig.DEFAULT_MAX_STREAM_WINDOW);
        assertThatThrownBy(() -> config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-max-stream-window", "0"))
                .isInstanceOf(UsageException.class).hasMessageContaining("-max-stream-window");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-insecure=true", "-insecure", "--insecure"})
    void insecureAsGoBoolean(String spelling) {
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN, spelling).insecure()).isTrue();
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-insecure=false").insecure()).isFalse();
    }

    @Test
    void passwordIsSplitAtTheFirstColon() {
        AgentConfig c = config("cli", "-tunnel", "ws://h", "-token", "my_b!g_$secret!!:pa:ss:word");
        assertThat(c.token()).isEqualTo("my_b!g_$secret!!");
        assertThat(c.password()).isEqualTo("pa:ss:word");
    }

    @Test
    void passwordFromEnvironmentWhenTheTokenHasNone() {
        assertThat(config(Map.of("WSTUNNEL_PASSWORD", "envpw"), "cli", "-tunnel", "ws://h", "-token", TOKEN)
                .password()).isEqualTo("envpw");
        assertThat(config(Map.of("WSTUNNEL_PASSWORD", "envpw"), "cli", "-tunnel", "ws://h", "-token", TOKEN + ":cmd")
                .password()).isEqualTo("cmd");
    }

    @Test
    void timeoutIsClampedLikeGo() {
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-timeout", "1").timeout())
                .isEqualTo(Duration.ofSeconds(3));
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-timeout", "100000").timeout())
                .isEqualTo(Duration.ofSeconds(600));
    }

    @Test
    void tokenTooShort() {
        assertThatThrownBy(() -> config("cli", "-tunnel", "ws://h", "-token", "0123456789abcde"))
                .isInstanceOf(UsageException.class).hasMessageContaining("too short").hasMessageContaining("16");
        // the password does not count toward the 16 characters
        assertThatThrownBy(() -> config("cli", "-tunnel", "ws://h", "-token", "short:averyveryverylongpassword"))
                .isInstanceOf(UsageException.class).hasMessageContaining("too short");
    }

    @Test
    void proxyFromEnvironment() {
        Map<String, String> env = Map.of("HTTPS_PROXY", "http://proxy.corp:3128", "http_proxy", "http://other:1");
        assertThat(config(env, "cli", "-tunnel", "wss://srv.example.com", "-token", TOKEN).proxy())
                .isEqualTo(URI.create("http://proxy.corp:3128"));
        Map<String, String> noProxy = Map.of("https_proxy", "proxy.corp:3128", "NO_PROXY", "localhost,.example.com");
        assertThat(config(noProxy, "cli", "-tunnel", "wss://srv.example.com", "-token", TOKEN).proxy()).isNull();
        assertThat(config(noProxy, "cli", "-tunnel", "wss://srv.example.org", "-token", TOKEN).proxy())
                .isEqualTo(URI.create("http://proxy.corp:3128"));
        // -proxy wins over the environment
        assertThat(config(env, "cli", "-tunnel", "wss://srv.example.com", "-token", TOKEN, "-proxy", "http://p:8")
                .proxy()).isEqualTo(URI.create("http://p:8"));
    }

    @Test
    void yamlConfigFillsInAndTheCommandLineWins() throws IOException {
        Path yaml = Files.writeString(dir.resolve("cli.yaml"), String.join("\n",
                "tunnel: wss://srv.example.com:443/wstunnel",
                "token: \"" + TOKEN + ":pw\"",
                "server: http://localhost:3000",
                "regexp: 'http://(www|blog)\\.example\\.com'",
                "timeout: 60",
                "insecure: true",
                ""));
        AgentConfig c = config("cli", "-config", yaml.toString(), "-timeout", "20");
        assertThat(c.tunnel()).isEqualTo(URI.create("wss://srv.example.com:443/wstunnel"));
        assertThat(c.token()).isEqualTo(TOKEN);
        assertThat(c.password()).isEqualTo("pw");
        assertThat(c.server()).isEqualTo(URI.create("http://localhost:3000"));
        assertThat(c.hostPattern().matcher("http://blog.example.com").matches()).isTrue();
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(c.insecure()).isTrue();
        assertThat(config("cli", "-config", yaml.toString(), "-insecure=false").insecure()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "-token 0123456789abcdef|missing required option -tunnel",
        "-tunnel ws://h|missing required option -token",
        "-tunnel ws://h -token short|too short",
        "-tunnel http://h -token 0123456789abcdef|-tunnel must start with ws:// or wss://",
        "-tunnel h:8080 -token 0123456789abcdef|-tunnel must start with ws:// or wss://",
        "-tunnel ws:///nohost -token 0123456789abcdef|no host",
        "-tunnel ws://h -token 0123456789abcdef -server ftp://x|-server must start with http:// or https://",
        "-tunnel ws://h -token 0123456789abcdef -regexp (unclosed|-regexp '(unclosed' is not a valid regular expression",
        "-tunnel ws://h -token 0123456789abcdef -timeout soon|-timeout",
        "-tunnel ws://h -token 0123456789abcdef -proxy socks5://p:1080|-proxy must be an http:// proxy URL",
        "-tunnel ws://h -token 0123456789abcdef -certfile /nonexistent/ca.pem|-certfile",
        "-tunnel ws://h -token 0123456789abcdef: |empty password",
        "-tunnel ws://h -token 0123456789abcdef -response-timeout 0|-response-timeout must be 1..604800 seconds, got 0",
        "-tunnel ws://h -token 0123456789abcdef -response-timeout 604801|-response-timeout must be 1..604800 seconds",
        "-tunnel ws://h -token 0123456789abcdef -response-timeout soon|-response-timeout",
        "-tunnel ws://h -token 0123456789abcdef -shutdown-grace -1|-shutdown-grace must be 0..31536000 seconds, got -1",
        "-tunnel ws://h -token 0123456789abcdef -shutdown-grace 31536001|-shutdown-grace must be 0..31536000 seconds, got 31536001",
        "-tunnel ws://h -token 0123456789abcdef -proxy notaurl|-proxy must be an http:// proxy URL, http://[user:pass@]host[:port], got 'notaurl'",
        "-tunnel ws://h -token 0123456789abcdef -proxy proxy:3128|-proxy must be an http:// proxy URL",
        "-tunnel ws://h -token 0123456789abcdef -proxy http://|-proxy",
        "-tunnel ws://h -token 0123456789abcdef -proxy http://:3128|has no host name",
        "-tunnel ws://h -token 0123456789abcdef -proxy http://p:0|port must be 1..65535",
        "-tunnel ws://h -token 0123456789abcdef -proxy http://p:3128/some/path|-proxy takes no path",
        "-tunnel ws://h -token 0123456789abcdef -proxy http://u:secret@p:3128/x|***@p:3128",
        "-tunnel ws://h -token 0123456789abcdef -statusfile /proc/st|-statusfile /proc/st: cannot be written: cannot create /proc/st.tmp",
        "-tunnel ws://h -token 0123456789abcdef -statusfile /nonexistent/st|directory /nonexistent does not exist",
        "-tunnel ws://h -token 0123456789abcdef -statusfile /tmp|-statusfile /tmp: cannot be written: is a directory",
    })
    void badValuesExitNonZeroWithOneLine(String spec) {
        String[] parts = spec.split("\\|");
        String[] args = ("cli " + parts[0].trim()).split(" ");
        Cmd.Result r = Cmd.run(args);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).hasLineCount(1).startsWith("wstunnel cli: ").contains(parts[1])
                .doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("secret");
    }

    @Test
    void proxyOptionTakesUserPasswordAndOptionalPort() {
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-proxy", "http://u:p%40ss@proxy.corp").proxy())
                .isEqualTo(URI.create("http://u:p%40ss@proxy.corp"));
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-proxy", "HTTP://proxy.corp:3128/").proxy())
                .isEqualTo(URI.create("HTTP://proxy.corp:3128/"));
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-proxy", "http://[fd00::1]:3128").proxy())
                .isEqualTo(URI.create("http://[fd00::1]:3128"));
    }

    @Test
    void statusFileCheckLeavesNothingBehind() throws IOException {
        Path status = dir.resolve("st");
        assertThat(config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-statusfile", status.toString()).statusFile())
                .isEqualTo(status);
        try (var files = Files.list(dir)) {
            assertThat(files).as("the check writes neither the file (it would say the tunnel is up) nor a temp file")
                    .isEmpty();
        }
    }
}
