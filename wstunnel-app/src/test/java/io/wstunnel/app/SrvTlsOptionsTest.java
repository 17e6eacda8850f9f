package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.auth.PasswordHash;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS, mTLS and passwords-file options of {@code wstunnel srv}: mapping and one-line errors. */
class SrvTlsOptionsTest {
    static final String PW = "changeit";

    @TempDir
    static Path dir;
    static Path p12;
    static Path crt;
    static Path key;

    @BeforeAll
    static void certificate() throws Exception {
        p12 = dir.resolve("server.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-dname", "CN=localhost", "-validity", "2",
                "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", PW, "-keypass", PW)
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PW.toCharArray());
        }
        Certificate cert = ks.getCertificate("server");
        PrivateKey k = (PrivateKey) ks.getKey("server", PW.toCharArray());
        crt = Files.writeString(dir.resolve("server.crt"), pem("CERTIFICATE", cert.getEncoded()));
        key = Files.writeString(dir.resolve("server.key"), pem("PRIVATE KEY", k.getEncoded()));
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    static ServerConfig config(String... args) {
        return ((SrvCommand) Cmd.parse(args)).serverConfig();
    }

    static void oneLineError(String expected, String... args) {
        Cmd.Result r = Cmd.run(args);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(expected).hasLineCount(1);
    }

    @Test
    void pemAndKeystoreOptions() {
        ServerConfig c = config("srv", "-tls-cert", crt.toString(), "-tls-key", key.toString(), "-reload-interval", "2");
        assertThat(c.tls().enabled()).isTrue();
        assertThat(c.tls().certFile()).isEqualTo(crt.toString());
        assertThat(c.tls().agentCertificates()).isFalse();
        assertThat(c.reloadInterval()).isEqualTo(Duration.ofSeconds(2));
        ServerConfig k = config("srv", "--tls-keystore", p12.toString(), "-tls-keystore-password=" + PW,
                "-agent-ca", crt.toString(), "-agent-cert-binds-token");
        assertThat(k.tls().keystoreFile()).isEqualTo(p12.toString());
        assertThat(k.tls().agentCaFile()).isEqualTo(crt.toString());
        assertThat(k.tls().agentCertBindsToken()).isTrue();
        assertThat(k.tls().toString()).doesNotContain(PW);
        assertThat(config("srv").tls().enabled()).isFalse();
        assertThat(config("srv").reloadInterval()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void yamlKeys() throws Exception {
        Path yaml = Files.writeString(dir.resolve("srv.yaml"), "tls-cert: " + crt + "\ntls-key: " + key
                + "\nagent-ca: " + crt + "\nagent-cert-binds-token: true\n");
        ServerConfig c = config("srv", "-config", yaml.toString());
        assertThat(c.tls().keyFile()).isEqualTo(key.toString());
        assertThat(c.tls().agentCertBindsToken()).isTrue();
    }

    @Test
    void badTlsOptionsAreOneLineErrors() throws Exception {
        oneLineError("-tls-cert and -tls-key go together", "srv", "-tls-cert", crt.toString());
        oneLineError("not both", "srv", "-tls-cert", crt.toString(), "-tls-key", key.toString(),
                "-tls-keystore", p12.toString());
        oneLineError("-agent-ca needs native TLS", "srv", "-agent-ca", crt.toString());
        oneLineError("-agent-cert-binds-token needs -agent-ca", "srv", "-tls-cert", crt.toString(), "-tls-key",
                key.toString(), "-agent-cert-binds-token");
        oneLineError("-tls-key " + crt + ": no PEM private key", "srv", "-tls-cert", crt.toString(), "-tls-key", crt.toString());
        oneLineError("no such file", "srv", "-tls-cert", dir.resolve("nope.crt").toString(), "-tls-key", key.toString());
        oneLineError("-tls-keystore", "srv", "-tls-keystore", p12.toString(), "-tls-keystore-password", "wrong");
        oneLineError("-reload-interval", "srv", "-reload-interval", "-1");
    }

    @Test
    void shortTokensAreRefusedInPasswordsAndPasswordsFile() throws Exception {
        assertThatThrownBy(() -> config("srv", "-passwords", "shorttoken:pw")).isInstanceOf(UsageException.class)
                .hasMessageContaining("too short").hasMessageNotContaining("shorttoken");
        oneLineError("too short", "srv", "-passwords", "shorttoken:pw");
        Path bad = Files.writeString(dir.resolve("bad-passwords"), "# x\nshorttoken:"
                + PasswordHash.create("pw".toCharArray(), 10_000) + "\n");
        oneLineError("line 2: token", "srv", "-passwords-file", bad.toString());
        Path notHash = Files.writeString(dir.resolve("plain-passwords"), "long-enough-token-0123:secret\n");
        oneLineError("pbkdf2-sha256", "srv", "-passwords-file", notHash.toString());
        Path badBcrypt = Files.writeString(dir.resolve("bcrypt-passwords"),
                "long-enough-token-0123:$2b$40$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n");
        oneLineError("line 1: bcrypt cost must be 4..31", "srv", "-passwords-file", badBcrypt.toString());
        Path good = Files.writeString(dir.resolve("passwords"), "long-enough-token-0123:"
                + PasswordHash.create("pw".toCharArray(), 10_000) + "\n");
        assertThat(config("srv", "-passwords-file", good.toString()).passwordsFile()).isEqualTo(good.toString());
        oneLineError("also in -passwords", "srv", "-passwords-file", good.toString(), "-passwords",
                "long-enough-token-0123:pw");
    }
}
