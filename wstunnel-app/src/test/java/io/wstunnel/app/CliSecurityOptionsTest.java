package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.net.AddressPolicy;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's security options: -deny, -tls-client-cert/-tls-client-key, WSTUNNEL_PASSWORD. */
class CliSecurityOptionsTest {
    static final String TOKEN = "0123456789abcdef";

    @TempDir
    Path dir;

    private static AgentConfig config(String... args) {
        CliCommand cli = Cmd.parse(args);
        return cli.agentConfig(Map.of());
    }

    private static boolean denied(AgentConfig c, String address) throws Exception {
        return !AddressPolicy.forAgent(c).allowed("x.example", InetAddress.getByName(address));
    }

    @Test
    void defaultDenyListIsOn() throws Exception {
        AgentConfig c = config("cli", "-tunnel", "ws://h", "-token", TOKEN);
        assertThat(c.denyRules().defaultsEnabled()).isTrue();
        assertThat(denied(c, "169.254.169.254")).isTrue();
        assertThat(denied(c, "fd00:ec2::254")).isTrue();
        assertThat(denied(c, "127.0.0.1")).isFalse();
    }

    @Test
    void denyIsRepeatableAndCommaSeparatedAndNoneDropsTheDefaults() throws Exception {
        AgentConfig c = config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-deny", "10.0.0.0/8,192.168.0.0/16",
                "--deny=fd00::/8");
        assertThat(denied(c, "10.1.1.1")).isTrue();
        assertThat(denied(c, "192.168.3.4")).isTrue();
        assertThat(denied(c, "fd12::1")).isTrue();
        assertThat(denied(c, "169.254.169.254")).isTrue();

        AgentConfig none = config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-deny", "none");
        assertThat(none.denyRules().rules()).isEmpty();
        assertThat(denied(none, "169.254.169.254")).isFalse();
    }

    @Test
    void denyFromYamlConfig() throws Exception {
        Path yaml = Files.writeString(dir.resolve("cli.yaml"), String.join("\n",
                "tunnel: ws://h", "token: " + TOKEN, "deny: [none, 10.0.0.0/8]", ""));
        AgentConfig c = config("cli", "-config", yaml.toString());
        assertThat(denied(c, "10.0.0.1")).isTrue();
        assertThat(denied(c, "169.254.169.254")).isFalse();
    }

    @Test
    void badDenyIsAUsageError() {
        assertThatThrownBy(() -> config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-deny", "metadata.google.internal"))
                .isInstanceOf(UsageException.class).hasMessageContaining("-deny 'metadata.google.internal'");
        assertThatThrownBy(() -> config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-deny", "10.0.0.0/40"))
                .isInstanceOf(UsageException.class).hasMessageContaining("prefix length");
    }

    @Test
    void clientCertificateOptions() throws Exception {
        Path cert = dir.resolve("agent.pem");
        Path key = dir.resolve("agent.key");
        makeClientCertificate(cert, key);
        AgentConfig c = config("cli", "-tunnel", "wss://h", "-token", TOKEN, "-tls-client-cert", cert.toString(),
                "--tls-client-key", key.toString());
        assertThat(c.tlsClientCert()).isEqualTo(cert);
        assertThat(c.tlsClientKey()).isEqualTo(key);

        assertThatThrownBy(() -> config("cli", "-tunnel", "wss://h", "-token", TOKEN, "-tls-client-cert", cert.toString()))
                .isInstanceOf(UsageException.class).hasMessage("-tls-client-cert needs -tls-client-key");
        assertThatThrownBy(() -> config("cli", "-tunnel", "wss://h", "-token", TOKEN, "-tls-client-key", key.toString()))
                .isInstanceOf(UsageException.class).hasMessage("-tls-client-key needs -tls-client-cert");
        assertThatThrownBy(() -> config("cli", "-tunnel", "ws://h", "-token", TOKEN, "-tls-client-cert", cert.toString(),
                "-tls-client-key", key.toString()))
                .isInstanceOf(UsageException.class).hasMessageContaining("needs a wss:// -tunnel");
        assertThatThrownBy(() -> config("cli", "-tunnel", "wss://h", "-token", TOKEN, "-tls-client-cert", cert.toString(),
                "-tls-client-key", dir.resolve("missing.key").toString()))
                .isInstanceOf(UsageException.class).hasMessageContaining("no such readable file");
        assertThatThrownBy(() -> config("cli", "-tunnel", "wss://h", "-token", TOKEN, "-tls-client-cert", cert.toString(),
                "-tls-client-key", cert.toString()))
                .isInstanceOf(UsageException.class).hasMessageContaining("no PEM private key");
    }

    @Test
    void passwordFromTheEnvironmentOnlyWhenTheTokenHasNone() {
        CliCommand cli = Cmd.parse("cli", "-tunnel", "ws://h", "-token", TOKEN);
        assertThat(cli.agentConfig(Map.of(CliCommand.PASSWORD_ENV, "from-env")).password()).isEqualTo("from-env");
        assertThat(cli.agentConfig(Map.of(CliCommand.PASSWORD_ENV, "")).password()).isNull();
        CliCommand withPassword = Cmd.parse("cli", "-tunnel", "ws://h", "-token", TOKEN + ":from-flag");
        assertThat(withPassword.agentConfig(Map.of(CliCommand.PASSWORD_ENV, "from-env")).password()).isEqualTo("from-flag");
        assertThat(CliCommand.PASSWORD_ENV).isEqualTo("WSTUNNEL_PASSWORD");
    }

    /** A self-signed EC certificate (keytool) and its key as PKCS#8 PEM. */
    private void makeClientCertificate(Path certPem, Path keyPem) throws Exception {
        Path ks = dir.resolve("agent.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(List.of(keytool, "-genkeypair", "-alias", "a", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=agent",
                "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit"));
        run(List.of(keytool, "-exportcert", "-rfc", "-alias", "a", "-keystore", ks.toString(), "-storepass", "changeit",
                "-file", certPem.toString()));
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        PrivateKey k = (PrivateKey) store.getKey("a", "changeit".toCharArray());
        Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(k.getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
    }

    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
    }
}
