package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.cli.net.ClientCertificate;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Settings;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyManagementException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** -tls-client-cert / -tls-client-key against a wss:// server that requires a client certificate. */
@Timeout(90)
class AgentMutualTlsTest {
    private static final String PASS = "changeit";

    @TempDir
    static Path dir;
    static TestCerts server;
    static Path ecCert;
    static Path ecKey;
    static Path rsaCert;
    static Path rsaKey;
    static Path rsaPkcs1Key;
    static Path strangerCert;
    static Path strangerKey;

    @BeforeAll
    static void certs() throws Exception {
        server = TestCerts.create(dir, "server", "ip:127.0.0.1");
        ecCert = dir.resolve("agent-ec.pem");
        ecKey = dir.resolve("agent-ec.key");
        client("agent-ec", "EC", ecCert, ecKey);
        rsaCert = dir.resolve("agent-rsa.pem");
        rsaKey = dir.resolve("agent-rsa.key");
        client("agent-rsa", "RSA", rsaCert, rsaKey);
        rsaPkcs1Key = dir.resolve("agent-rsa.pkcs1.key");
        Files.writeString(rsaPkcs1Key, pem("RSA PRIVATE KEY", pkcs1Of(readPkcs8(rsaKey))));
        strangerCert = dir.resolve("stranger.pem");
        strangerKey = dir.resolve("stranger.key");
        client("stranger", "EC", strangerCert, strangerKey);
    }

    /** A self-signed client certificate (CN = name) with its key as PKCS#8 PEM, made with keytool. */
    private static void client(String name, String alg, Path certPem, Path keyPem) throws Exception {
        Path ks = dir.resolve(name + ".p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        List<String> gen = new java.util.ArrayList<>(List.of(keytool, "-genkeypair", "-alias", "c", "-keyalg", alg,
                "-dname", "CN=" + name, "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12",
                "-storepass", PASS, "-keypass", PASS));
        gen.addAll(alg.equals("EC") ? List.of("-groupname", "secp256r1") : List.of("-keysize", "2048"));
        run(gen);
        run(List.of(keytool, "-exportcert", "-rfc", "-alias", "c", "-keystore", ks.toString(), "-storepass", PASS,
                "-file", certPem.toString()));
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, PASS.toCharArray());
        }
        PrivateKey key = (PrivateKey) store.getKey("c", PASS.toCharArray());
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static byte[] readPkcs8(Path keyPem) throws Exception {
        String s = Files.readString(keyPem);
        return Base64.getMimeDecoder().decode(s.substring(s.indexOf("-----\n") + 6, s.indexOf("-----END")));
    }

    /** The RSAPrivateKey inside an RSA PrivateKeyInfo: the OCTET STRING after version and algorithm. */
    private static byte[] pkcs1Of(byte[] pkcs8) {
        int i = 2 + (pkcs8[1] & 0x7f) * ((pkcs8[1] & 0x80) != 0 ? 1 : 0); // outer SEQUENCE header
        i += 3 + 15;                                                        // INTEGER 0, AlgorithmIdentifier
        assertThat(pkcs8[i]).isEqualTo((byte) 0x04);
        int lenByte = pkcs8[i + 1] & 0xff;
        int start = i + 2 + ((lenByte & 0x80) != 0 ? (lenByte & 0x7f) : 0);
        return Arrays.copyOfRange(pkcs8, start, pkcs8.length);
    }

    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
    }

    /** The server's context: its own certificate, trusting only {@code trusted} client certificates, client auth required. */
    private static SSLContext requiringClientAuth(Path... trusted) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(server.keyStore)) {
            ks.load(in, PASS.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASS.toCharArray());
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        int n = 0;
        for (Path p : trusted) {
            try (InputStream in = Files.newInputStream(p)) {
                trust.setCertificateEntry("client-" + n++, cf.generateCertificate(in));
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext real = SSLContext.getInstance("TLS");
        real.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
        return new SSLContext(new NeedClientAuth(real), real.getProvider(), real.getProtocol()) { };
    }

    /** Every server engine it makes requires a client certificate. */
    private static final class NeedClientAuth extends SSLContextSpi {
        private final SSLContext d;

        NeedClientAuth(SSLContext d) {
            this.d = d;
        }

        private static SSLEngine need(SSLEngine e) {
            e.setNeedClientAuth(true);
            return e;
        }

        @Override protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException { }
        @Override protected SSLSocketFactory engineGetSocketFactory() { return d.getSocketFactory(); }
        @Override protected SSLServerSocketFactory engineGetServerSocketFactory() { return d.getServerSocketFactory(); }
        @Override protected SSLEngine engineCreateSSLEngine() { return need(d.createSSLEngine()); }
        @Override protected SSLEngine engineCreateSSLEngine(String host, int port) { return need(d.createSSLEngine(host, port)); }
        @Override protected SSLSessionContext engineGetServerSessionContext() { return d.getServerSessionContext(); }
        @Override protected SSLSessionContext engineGetClientSessionContext() { return d.getClientSessionContext(); }
    }

    private static AgentConfig.Builder agent(FakeServer s) {
        return AgentConfig.builder().tunnel(s.uri("")).token(Harness.TOKEN).certFile(server.pem)
                .dialTimeout(Duration.ofSeconds(5)).maxBackoff(Duration.ofMillis(500));
    }

    @Test
    void withTheClientCertificateTheHandshakeSucceeds() throws Exception {
        try (FakeServer s = new FakeServer("", Settings.DEFAULT, requiringClientAuth(ecCert, rsaCert));
             Agent a = Agent.start(agent(s).tlsClientCert(ecCert).tlsClientKey(ecKey).build())) {
            s.awaitConnection().next(Frame.Hello.class);
            assertThat(a.awaitConnected(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void rsaKeysInPkcs8AndPkcs1Work() throws Exception {
        for (Path key : List.of(rsaKey, rsaPkcs1Key)) {
            try (FakeServer s = new FakeServer("", Settings.DEFAULT, requiringClientAuth(rsaCert));
                 Agent a = Agent.start(agent(s).tlsClientCert(rsaCert).tlsClientKey(key).build())) {
                s.awaitConnection().next(Frame.Hello.class);
                assertThat(a.awaitConnected(Duration.ofSeconds(10))).as(key.toString()).isTrue();
            }
        }
    }

    @Test
    void withoutACertificateTheServerRefuses() throws Exception {
        try (FakeServer s = new FakeServer("", Settings.DEFAULT, requiringClientAuth(ecCert));
             Agent a = Agent.start(agent(s).build())) {
            assertThat(a.awaitConnected(Duration.ofMillis(2000))).isFalse();
            assertThat(s.handshakes.get()).isZero();
        }
    }

    @Test
    void anUntrustedCertificateIsRefused() throws Exception {
        try (FakeServer s = new FakeServer("", Settings.DEFAULT, requiringClientAuth(ecCert));
             Agent a = Agent.start(agent(s).tlsClientCert(strangerCert).tlsClientKey(strangerKey).build())) {
            assertThat(a.awaitConnected(Duration.ofMillis(2000))).isFalse();
            assertThat(s.handshakes.get()).isZero();
        }
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateFailsAtStart() {
        assertThatThrownBy(() -> ClientCertificate.keyManagers(ecCert, strangerKey))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong to the certificate");
        assertThatThrownBy(() -> ClientCertificate.keyManagers(ecCert, rsaKey))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong to the certificate");
        assertThatThrownBy(() -> ClientCertificate.keyManagers(ecCert, ecCert))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no PEM private key");
    }

    @Test
    void sec1AndEncryptedKeysAreRefusedWithTheConversionCommand() throws Exception {
        Path sec1 = Files.writeString(dir.resolve("sec1.key"), "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        assertThatThrownBy(() -> ClientCertificate.keyManagers(ecCert, sec1))
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
        Path enc = Files.writeString(dir.resolve("enc.key"),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertThatThrownBy(() -> ClientCertificate.keyManagers(ecCert, enc)).hasMessageContaining("encrypted keys are not supported");
    }
}
