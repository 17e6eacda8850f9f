package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.function.Consumer;

/** A fake server plus an agent connected to it, HELLO exchanged. */
final class Harness implements AutoCloseable {
    static final String TOKEN = "0123456789abcdef-token";

    final FakeServer server;
    final Agent agent;
    FakeServer.Conn conn;
    Frame.Hello agentHello;

    Harness(Settings serverHello, Consumer<AgentConfig.Builder> customize) throws InterruptedException {
        server = new FakeServer("", serverHello);
        AgentConfig.Builder b = AgentConfig.builder()
                .tunnel(server.uri(""))
                .token(TOKEN)
                .timeout(Duration.ofSeconds(30))
                .dialTimeout(Duration.ofSeconds(5))
                .localConnectTimeout(Duration.ofSeconds(5))
                .localResponseTimeout(Duration.ofSeconds(10))
                .maxBackoff(Duration.ofSeconds(2))
                .shutdownGrace(Duration.ofSeconds(2));
        customize.accept(b);
        agent = Agent.start(b.build());
        conn = server.awaitConnection();
        agentHello = conn.next(Frame.Hello.class);
        assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();
    }

    /** A started WireMock local service on 127.0.0.1 (no gzip, few threads); the caller stops it. */
    static com.github.tomakehurst.wiremock.WireMockServer startWireMock() {
        var wm = new com.github.tomakehurst.wiremock.WireMockServer(
                com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig().dynamicPort()
                        .bindAddress("127.0.0.1").gzipDisabled(true).containerThreads(8).jettyAcceptors(1));
        wm.start();
        return wm;
    }

    static Frame.Open get(int id, String target, Headers headers) {
        return new Frame.Open(id, StreamKind.HTTP, new RequestHead("GET", target, "srv.example", "http", headers), true);
    }

    record Response(Frame.Reply reply, byte[] body, Frame.Reset reset) { 
        String text() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Reads REPLY and DATA of one stream until END_STREAM or RESET, skipping other frames; grants window as it goes. */
    Response collect(int id) throws InterruptedException {
        Frame.Reply reply = null;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            Frame f = conn.next();
            if (f.streamId() != id) {
                continue;
            }
            if (f instanceof Frame.Reply r) {
                assertThat(reply).as("second REPLY").isNull();
                reply = r;
                byte[] first = new byte[r.body().remaining()];
                r.body().duplicate().get(first);
                body.write(first, 0, first.length); // REPLY with the BODY flag (PROTOCOL.md §3.3)
                if (r.endStream()) {
                    return new Response(r, body.toByteArray(), null);
                }
            } else if (f instanceof Frame.Data d) {
                assertThat(reply).as("DATA before REPLY").isNotNull();
                byte[] b = new byte[d.length()];
                d.payload().get(b);
                body.write(b, 0, b.length);
                if (b.length > 0 && !d.endStream()) {
                    try {
                        conn.send(new Frame.WindowUpdate(id, b.length));
                    } catch (IllegalStateException e) {
                        // the agent may already have finished the stream and closed the tunnel
                    }
                }
                if (d.endStream()) {
                    return new Response(reply, body.toByteArray(), null);
                }
            } else if (f instanceof Frame.Reset r) {
                return new Response(reply, body.toByteArray(), r);
            }
        }
    }

    static URI http(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    @Override
    public void close() {
        agent.stop(Duration.ofMillis(500));
        server.close();
    }
}
