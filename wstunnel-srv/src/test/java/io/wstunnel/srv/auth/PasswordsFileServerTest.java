package io.wstunnel.srv.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent handshake against -passwords-file entries, reloaded while the server runs. */
class PasswordsFileServerTest {
    static final String HASHED = "hashed-token-0123456789";
    static final String PLAIN = "plain-token-0123456789";
    static final String BCRYPT = "bcrypt-token-0123456789";

    @TempDir
    Path dir;
    TunnelServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(Duration.ZERO);
        }
    }

    /** Status line and body of an upgrade request with Basic credentials (null = none). */
    String handshake(String token, String password) throws Exception {
        String auth = password == null ? "" : "Authorization: Basic " + Base64.getEncoder().encodeToString(
                (token + ":" + password).getBytes(StandardCharsets.UTF_8)) + "\r\n";
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET /_tunnel HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Protocol: wstunnel.v2\r\nOrigin: " + token + "\r\n" + auth + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[2048];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    String t = out.toString(StandardCharsets.UTF_8);
                    if (t.startsWith("HTTP/1.1 101") && t.contains("\r\n\r\n")) {
                        break;
                    }
                    if (t.contains("\r\n\r\n") && !t.endsWith("\r\n\r\n")) {
                        break;
                    }
                }
            } catch (SocketTimeoutException e) {
                // what we have
            }
            String t = out.toString(StandardCharsets.UTF_8);
            return t.substring(9, 12) + " " + t.substring(t.indexOf("\r\n\r\n") + 4);
        }
    }

    @Test
    void hashedPasswordsAreCheckedAndReloaded() throws Exception {
        Path file = Files.writeString(dir.resolve("passwords"), "# test\n" + HASHED + ":"
                + PasswordHash.create("first".toCharArray(), 10_000) + "\n");
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0).password(PLAIN, "plainpw")
                .passwordsFile(file.toString()).reloadInterval(Duration.ofMillis(200)).build());
        assertThat(handshake(HASHED, null)).isEqualTo("401 Authorization required for this token");
        assertThat(handshake(HASHED, "wrong")).isEqualTo("401 Invalid token or password");
        assertThat(handshake(HASHED, "first")).startsWith("101");
        assertThat(handshake(PLAIN, "plainpw")).startsWith("101");
        assertThat(handshake(PLAIN, "wrong")).isEqualTo("401 Invalid token or password");

        Files.writeString(file, HASHED + ":" + PasswordHash.create("second".toCharArray(), 10_000) + "\n");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (handshake(HASHED, "first").startsWith("101") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(handshake(HASHED, "first")).isEqualTo("401 Invalid token or password");
        assertThat(handshake(HASHED, "second")).startsWith("101");
        assertThat(handshake(PLAIN, "plainpw")).as("-passwords unaffected").startsWith("101");
    }

    @Test
    void bcryptHashedPasswordsAreChecked() throws Exception {
        // One hash made by the library, one published vector (Openwall's "U*U", written $2y$).
        Path file = Files.writeString(dir.resolve("passwords"), HASHED + ":" + BcryptHash.create("first".toCharArray(), 6)
                + "\n" + BCRYPT + ":$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n");
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0).passwordsFile(file.toString()).build());
        assertThat(handshake(HASHED, "first")).startsWith("101");
        assertThat(handshake(HASHED, "first")).as("remembered").startsWith("101");
        assertThat(handshake(HASHED, "First")).isEqualTo("401 Invalid token or password");
        assertThat(handshake(HASHED, null)).isEqualTo("401 Authorization required for this token");
        assertThat(handshake(BCRYPT, "U*U")).startsWith("101");
        assertThat(handshake(BCRYPT, "U*U*")).isEqualTo("401 Invalid token or password");
        assertThat(handshake(BCRYPT, "")).isEqualTo("401 Invalid token or password");
    }

    /** A bcrypt check (cost 14: about a second) runs on a worker thread, never on an XNIO I/O thread. */
    @Test
    void bcryptChecksRunOffTheIoThreads() throws Exception {
        Path file = Files.writeString(dir.resolve("passwords"), BCRYPT + ":" + BcryptHash.create("pw".toCharArray(), 14) + "\n");
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0).passwordsFile(file.toString()).build());
        java.util.concurrent.CompletableFuture<String> refused = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return handshake(BCRYPT, "wrong");
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        java.util.Set<String> hashing = new java.util.TreeSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hashing.isEmpty() && !refused.isDone() && System.nanoTime() < deadline) {
            for (java.util.Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                for (StackTraceElement f : e.getValue()) {
                    if (f.getClassName().startsWith("at.favre.lib.crypto.bcrypt.")) {
                        hashing.add(e.getKey().getName());
                        break;
                    }
                }
            }
            Thread.sleep(5);
        }
        assertThat(refused.get(15, TimeUnit.SECONDS)).isEqualTo("401 Invalid token or password");
        assertThat(hashing).as("threads seen hashing").isNotEmpty().allSatisfy(name ->
                assertThat(name).doesNotContain("I/O").contains("task"));
    }
}
