package io.wstunnel.srv.admin;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;

/** A server on 127.0.0.1:0 per test, HTTP helpers and access to the captured Go vectors. */
abstract class AdminTestSupport {
    static final String VECTOR_TOKEN = "vectortoken0123456789";
    static final String CURL_TOKEN = "curltoken0123456789ab";

    final List<TunnelServer> servers = new ArrayList<>();
    final List<AutoCloseable> closeables = new ArrayList<>();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    TunnelServer server;

    TunnelServer start(ServerConfig.Builder b) {
        server = TunnelServer.start(b.host("127.0.0.1").port(0).httpTimeout(Duration.ofSeconds(20)).build());
        servers.add(server);
        return server;
    }

    TunnelServer start() {
        return start(ServerConfig.builder());
    }

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        for (TunnelServer s : servers) {
            s.stop(Duration.ZERO);
        }
    }

    <T extends AutoCloseable> T closeLater(T c) {
        closeables.add(c);
        return c;
    }

    FrameAgent agent(String token) throws Exception {
        return closeLater(FrameAgent.connect(server.port(), token));
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> tunnelled(String token, String path) {
        return http.sendAsync(HttpRequest.newBuilder(url(path)).header("X-Token", token).timeout(Duration.ofSeconds(20))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Answers the next request the agent gets with {@code status} and a small body. */
    static void answer(FrameAgent agent, int status, String body) throws Exception {
        Frame.Open open = agent.next(Frame.Open.class);
        agent.send(new Frame.Reply(open.streamId(), new ResponseHead(status, "", Headers.of("Content-Length",
                String.valueOf(body.length()))), false));
        agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), true));
    }

    // ------------------------------------------------------------------ vectors

    static Path vectors() {
        // Set by the root pom; in CI the vectors must be there (a silent skip would hide the golden tests).
        Path p = Path.of(System.getProperty("wstunnel.vectors", "../../shared/compat/vectors")).toAbsolutePath().normalize();
        if (!Files.isDirectory(p) && System.getenv("CI") != null) {
            throw new AssertionError("Go wire vectors not found at " + p);
        }
        return p;
    }

    /** The body of a captured {@code curl -si} output in srv-endpoints/. */
    static String vectorBody(String name) throws IOException {
        Path f = vectors().resolve("srv-endpoints").resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(f), "vector not available: " + f);
        String all = Files.readString(f, StandardCharsets.ISO_8859_1);
        return all.substring(all.indexOf("\r\n\r\n") + 4);
    }

    /** A header of a captured {@code curl -si} output. */
    static String vectorHeader(String name, String header) throws IOException {
        Path f = vectors().resolve("srv-endpoints").resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(f), "vector not available: " + f);
        String all = Files.readString(f, StandardCharsets.ISO_8859_1);
        for (String line : all.substring(0, all.indexOf("\r\n\r\n")).split("\r\n")) {
            if (line.regionMatches(true, 0, header + ":", 0, header.length() + 1)) {
                return line.substring(header.length() + 1).trim();
            }
        }
        return null;
    }

    /** Masks what changes on every run in a /_stats body (vectors README): ports and idle_secs. */
    static String maskStats(String s) {
        return s.replaceAll("(?m)^(tunnel\\d\\d_(?:tun|cli)_addr=.*):\\d+$", "$1:PORT")
                .replaceAll("(?m)^(tunnel\\d\\d_idle_secs=)\\d+\\.\\d$", "$1X");
    }
}
