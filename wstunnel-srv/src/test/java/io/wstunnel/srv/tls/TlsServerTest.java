package io.wstunnel.srv.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Native TLS: HTTPS and WSS on one port, HTTP/2 callers, TLS 1.2+, PEM and PKCS#12, reload without restart. */
class TlsServerTest {
    static final String TOKEN = "tls-test-token-0123456789";

    @TempDir
    static Path dir;
    static TestPki.Identity one;
    static TestPki.Identity two;
    static TestPki.Identity rsa;

    TunnelServer server;

    @BeforeAll
    static void pki() throws Exception {
        TestPki pki = new TestPki(dir);
        one = pki.selfSigned("one", "EC", "CN=one", "SAN=ip:127.0.0.1,dns:localhost");
        two = pki.selfSigned("two", "EC", "CN=two", "SAN=ip:127.0.0.1,dns:localhost");
        rsa = pki.selfSigned("rsa", "RSA", "CN=rsa", "SAN=ip:127.0.0.1");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(Duration.ZERO);
        }
    }

    TunnelServer start(TlsSettings tls, Duration reload) {
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .httpTimeout(Duration.ofSeconds(20)).tls(tls).reloadInterval(reload).build());
        return server;
    }

    TunnelServer startPem(TestPki.Identity id, Duration reload) throws Exception {
        Path[] files = id.writePem(dir.resolve("server.crt"), dir.resolve("server.key"));
        return start(TlsSettings.pem(files[0].toString(), files[1].toString()), reload);
    }

    URI https(String path) {
        return URI.create("https://127.0.0.1:" + server.port() + path);
    }

    @Test
    void httpsAndWssOnOnePortWithHttp1AndHttp2Callers() throws Exception {
        startPem(one, Duration.ZERO);
        SSLContext trust = TestPki.trusting(one.cert());
        try (FrameAgent agent = FrameAgent.connect(URI.create("wss://127.0.0.1:" + server.port() + "/_tunnel"), TOKEN, trust,
                Map.of())) {
            for (HttpClient.Version v : new HttpClient.Version[] {HttpClient.Version.HTTP_1_1, HttpClient.Version.HTTP_2}) {
                HttpClient http = HttpClient.newBuilder().sslContext(trust).version(v)
                        .connectTimeout(Duration.ofSeconds(5)).build();
                CompletableFuture<HttpResponse<String>> resp = http.sendAsync(HttpRequest.newBuilder(https("/hello?x=1"))
                        .header("X-Token", TOKEN).build(), HttpResponse.BodyHandlers.ofString());
                Frame.Open open = agent.next(Frame.Open.class);
                assertThat(open.head().target()).isEqualTo("/hello?x=1");
                assertThat(open.head().method()).isEqualTo("GET");
                assertThat(open.head().headers().first("X-Forwarded-Proto")).isEqualTo("https");
                assertThat(open.head().authority()).isEqualTo("127.0.0.1:" + server.port());
                assertThat(open.head().headers().fields().stream().map(h -> h.name()))
                        .as("no HTTP/2 pseudo-header reaches the agent").noneMatch(n -> n.startsWith(":"));
                agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "OK", Headers.of("X-R", "1")), false));
                agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap("over ".getBytes()), false));
                agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(v.name().getBytes()), true));
                HttpResponse<String> r = resp.get(10, TimeUnit.SECONDS);
                assertThat(r.version()).isEqualTo(v);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-R")).hasValue("1");
                assertThat(r.body()).isEqualTo("over " + v.name());
            }
        }
        HttpResponse<String> health = HttpClient.newBuilder().sslContext(trust).build()
                .send(HttpRequest.newBuilder(https("/_health_check")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.body()).startsWith("WSTUNSRV RUNNING");
    }

    @Test
    void http2CallerStreamsARequestBodyAndAResponseBody() throws Exception {
        startPem(one, Duration.ZERO);
        SSLContext trust = TestPki.trusting(one.cert());
        try (FrameAgent agent = FrameAgent.connect(URI.create("wss://127.0.0.1:" + server.port() + "/_tunnel"), TOKEN, trust,
                Map.of())) {
            HttpClient http = HttpClient.newBuilder().sslContext(trust).version(HttpClient.Version.HTTP_2).build();
            byte[] body = new byte[600 * 1024];
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) (i * 7);
            }
            CompletableFuture<HttpResponse<byte[]>> resp = http.sendAsync(HttpRequest.newBuilder(https("/up"))
                    .header("X-Token", TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            Frame.Open open = agent.next(Frame.Open.class);
            assertThat(open.head().method()).isEqualTo("POST");
            assertThat(open.endStream()).isFalse();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int outstanding = 0;
            while (true) {
                Frame.Data d = agent.next(Frame.Data.class);
                byte[] b = new byte[d.length()];
                d.payload().get(b);
                got.writeBytes(b);
                outstanding += b.length;
                if (d.endStream()) {
                    break;
                }
                if (outstanding >= 64 * 1024) {
                    agent.send(new Frame.WindowUpdate(open.streamId(), outstanding));
                    outstanding = 0;
                }
            }
            assertThat(got.toByteArray()).isEqualTo(body);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "OK", Headers.EMPTY), false));
            byte[] chunk = new byte[32 * 1024];
            int sent = 0;
            for (int i = 0; i < 6; i++) { // 192 KiB: within the server's initial window
                agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(chunk), false));
                sent += chunk.length;
            }
            agent.send(new Frame.Data(open.streamId(), ByteBuffer.allocate(0), true));
            HttpResponse<byte[]> r = resp.get(15, TimeUnit.SECONDS);
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(r.body()).hasSize(sent);
        }
    }

    @Test
    void onlyTls12AndTls13AreSpoken() throws Exception {
        startPem(one, Duration.ZERO);
        SSLContext trust = TestPki.trusting(one.cert());
        String req = "GET /_health_check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        assertThat(RawHttps.send(server.port(), trust, req, new String[] {"TLSv1.2"}).protocol()).isEqualTo("TLSv1.2");
        assertThat(RawHttps.send(server.port(), trust, req, new String[] {"TLSv1.3"}).protocol()).isEqualTo("TLSv1.3");
        assertThat(ServerTls.PROTOCOLS).containsExactly("TLSv1.3", "TLSv1.2");
        // A plain-HTTP request on the TLS port gets no HTTP answer.
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(3000);
            s.getOutputStream().write(req.getBytes(StandardCharsets.ISO_8859_1));
            byte[] b = new byte[5];
            int n = s.getInputStream().read(b);
            assertThat(n <= 0 || !new String(b, 0, n, StandardCharsets.ISO_8859_1).startsWith("HTTP/")).isTrue();
        } catch (java.io.IOException expected) {
            // reset or timeout: fine
        }
    }

    @Test
    void aFoldedHeaderOverTlsIsRefusedWithAReason() throws Exception {
        startPem(one, Duration.ZERO);
        SSLContext trust = TestPki.trusting(one.cert());
        RawHttps.Answer a = RawHttps.send(server.port(), trust, "GET /x HTTP/1.1\r\nHost: x\r\nX-Token: " + TOKEN
                + "\r\nX-A: one\r\n two\r\nConnection: close\r\n\r\n", new String[] {"TLSv1.3"});
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.text()).contains("Obsolete line folding is not accepted");
    }

    @Test
    void rsaPemAndPkcs1Key() throws Exception {
        Path crt = dir.resolve("rsa.crt");
        Path key = dir.resolve("rsa.key");
        rsa.writePem(crt, key);
        // Re-write the key as PKCS#1 ("BEGIN RSA PRIVATE KEY"): strip the PKCS#8 wrapper.
        java.security.interfaces.RSAPrivateCrtKey k = (java.security.interfaces.RSAPrivateCrtKey) rsa.key();
        byte[] pkcs8 = k.getEncoded();
        byte[] pkcs1 = PemTest.pkcs1Of(pkcs8);
        Files.writeString(key, Pem.encode("RSA PRIVATE KEY", pkcs1));
        start(TlsSettings.pem(crt.toString(), key.toString()), Duration.ZERO);
        var a = RawHttps.send(server.port(), TestPki.trusting(rsa.cert()),
                "GET /_health_check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.serverCert()).isEqualTo(rsa.cert());
    }

    @Test
    void pkcs12Keystore() throws Exception {
        start(TlsSettings.keystore(one.p12().toString(), TestPki.PW), Duration.ZERO);
        var a = RawHttps.send(server.port(), TestPki.trusting(one.cert()),
                "GET /_health_check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.serverCert()).isEqualTo(one.cert());
        assertThatThrownBy(() -> ServerTls.load(TlsSettings.keystore(one.p12().toString(), "wrong")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-tls-keystore");
    }

    @Test
    void certificateAndKeyAreReloadedWithoutRestart() throws Exception {
        startPem(one, Duration.ofMillis(200));
        SSLContext trustBoth = TestPki.trusting(one.cert(), two.cert());
        String req = "GET /_health_check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        assertThat(RawHttps.send(server.port(), trustBoth, req, null).serverCert()).isEqualTo(one.cert());
        int port = server.port();

        // A key that does not match: refused, the old certificate stays.
        Files.writeString(dir.resolve("server.crt"), Pem.encode(two.cert()));
        Thread.sleep(700);
        assertThat(RawHttps.send(port, trustBoth, req, null).serverCert()).isEqualTo(one.cert());

        two.writePem(dir.resolve("server.crt"), dir.resolve("server.key"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        java.security.cert.X509Certificate seen = null;
        while (System.nanoTime() < deadline) {
            seen = RawHttps.send(port, TestPki.trusting(one.cert(), two.cert()), req, null).serverCert();
            if (seen.equals(two.cert())) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(seen).isEqualTo(two.cert());
        assertThat(server.port()).isEqualTo(port);
        assertThat(server.tls().certificate()).isEqualTo(two.cert());
    }

    @Test
    void clientsThatDoNotTrustTheCertificateFail() throws Exception {
        startPem(one, Duration.ZERO);
        assertThatThrownBy(() -> RawHttps.send(server.port(), TestPki.trusting(two.cert()), "GET / HTTP/1.1\r\n\r\n", null))
                .isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void badFilesAreOneLineErrors() throws Exception {
        Path crt = dir.resolve("bad.crt");
        Path key = dir.resolve("bad.key");
        one.writePem(crt, key);
        assertThatThrownBy(() -> ServerTls.load(TlsSettings.pem(dir.resolve("none.crt").toString(), key.toString())))
                .hasMessageContaining("-tls-cert").hasMessageContaining("no such file");
        Files.writeString(crt, "garbage");
        assertThatThrownBy(() -> ServerTls.load(TlsSettings.pem(crt.toString(), key.toString())))
                .hasMessageContaining("-tls-cert").hasMessageContaining("no PEM certificate");
        two.writePem(crt, dir.resolve("two.key"));
        assertThatThrownBy(() -> ServerTls.load(TlsSettings.pem(crt.toString(), key.toString())))
                .hasMessageContaining("does not match");
        assertThatThrownBy(() -> new TlsSettings(crt.toString(), "", "", "", "", false))
                .hasMessageContaining("-tls-cert and -tls-key");
        assertThatThrownBy(() -> TlsSettings.NONE.withAgentCa("ca.pem", false)).hasMessageContaining("-agent-ca needs");
    }
}
