package io.wstunnel.srv;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fresh server per test on 127.0.0.1 and an ephemeral port (httpTimeout 20 s unless a test
 * restarts it otherwise), stopped after the test, and an HTTP client for callers.
 */
public abstract class ServerPerTest {
    protected TunnelServer server;
    protected final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    protected void startServer() {
        server = start(ServerConfig.builder().httpTimeout(Duration.ofSeconds(20)));
    }

    @AfterEach
    protected void stopServer() {
        server.stop(Duration.ZERO);
    }

    /** Replaces the running server with one configured by {@code b}, on 127.0.0.1 and a new port. */
    protected void restart(ServerConfig.Builder b) {
        server.stop(Duration.ZERO);
        server = start(b);
    }

    private static TunnelServer start(ServerConfig.Builder b) {
        return TunnelServer.start(b.host("127.0.0.1").port(0).build());
    }

    protected URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
