package io.wstunnel.srv.limits;

import static io.wstunnel.srv.limits.Support.TOKEN_A;
import static io.wstunnel.srv.limits.Support.TOKEN_B;
import static io.wstunnel.srv.limits.Support.get;
import static io.wstunnel.srv.limits.Support.raw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each limit of {@link Limits}: its status and reason, and that it never touches another tenant. */
@Timeout(30)
class LimitsTest {
    TunnelServer server;
    final List<AutoCloseable> closeMe = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeMe) {
            c.close();
        }
        if (server != null) {
            server.stop(Duration.ZERO);
        }
    }

    WsAgent agent(String token) throws Exception {
        WsAgent a = WsAgent.connect(server.port(), token, Settings.DEFAULT);
        closeMe.add(a);
        return a;
    }

    @Test
    void headerSizeGets431WithReasonAndParserBackstopBeyond() throws Exception {
        server = Support.server(l -> l.maxHeaderBytes(2048));
        Support.Response r = raw(server.port(), "GET /_health_check HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(3000) + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(431);
        assertThat(r.body()).contains("Request header fields too large (limit 2048 bytes)");
        // Beyond Undertow's backstop (4 x the limit, at least limit + 16 KiB) the parser cuts the connection: bare 400.
        Support.Response big = raw(server.port(), "GET /_health_check HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(40_000) + "\r\n\r\n");
        assertThat(big.status()).isIn(400, -1);
        assertThat(raw(server.port(), "GET /_health_check HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
    }

    @Test
    void uriLengthGets414() throws Exception {
        server = Support.server(l -> l.maxUriLength(256));
        Support.Response r = raw(server.port(), get(TOKEN_A, "/" + "p".repeat(300)));
        assertThat(r.status()).isEqualTo(414);
        assertThat(r.body()).contains("Request URI too long");
    }

    @Test
    void bodyLimitGives413BeforeForwardingAndResetsAChunkedStreamThatPassesIt() throws Exception {
        server = Support.server(l -> l.maxBodyBytes(1000));
        WsAgent a = agent(TOKEN_A);
        Support.Response r = raw(server.port(), "POST /up HTTP/1.1\r\nHost: x\r\nX-Token: " + TOKEN_A
                + "\r\nContent-Length: 2000\r\n\r\n" + "b".repeat(2000));
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.body()).contains("Request body too large (limit 1000 bytes)");
        assertThat(a.pollOpen(300)).as("never forwarded").isNull();

        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("POST /up HTTP/1.1\r\nHost: x\r\nX-Token: " + TOKEN_A
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + "c".repeat(600) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            Frame.Open open = a.next(Frame.Open.class);
            s.getOutputStream().write(("258\r\n" + "c".repeat(600) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            Frame.Reset reset = a.next(Frame.Reset.class);
            assertThat(reset.streamId()).isEqualTo(open.streamId());
            assertThat(reset.code()).isEqualTo(ErrorCode.CANCEL);
            Support.Response late = Support.read(s.getInputStream());
            assertThat(late.status()).isEqualTo(413);
        }
    }

    @Test
    void rateLimitPerTokenAnswers429WithRetryAfterAndSparesOtherTokens() throws Exception {
        server = Support.server(l -> l.requestsPerSecond(0.5).requestBurst(2));
        Support.serve(agent(TOKEN_A));
        Support.serve(agent(TOKEN_B));
        assertThat(raw(server.port(), get(TOKEN_A, "/1")).status()).isEqualTo(200);
        assertThat(raw(server.port(), get(TOKEN_A, "/2")).status()).isEqualTo(200);
        Support.Response limited = raw(server.port(), get(TOKEN_A, "/3"));
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isIn("1", "2");
        assertThat(limited.body()).contains("Too many requests for this tunnel");
        for (int i = 0; i < 2; i++) {
            assertThat(raw(server.port(), get(TOKEN_B, "/b" + i)).status()).as("other tenant").isEqualTo(200);
        }
    }

    @Test
    void connectionsPerAddressAreCappedAndOtherAddressesServed() throws Exception {
        server = Support.server(l -> l.maxConnectionsPerAddress(2));
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                held.add(s);
                s.setSoTimeout(5000);
                s.getOutputStream().write("GET /_health_check HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertThat(Support.read(s.getInputStream()).status()).isEqualTo(200);
            }
            Support.Response third = raw(server.port(), "GET /_health_check HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(third.status()).isEqualTo(429);
            assertThat(third.body()).contains("Too many connections from your address");
            assertThat(raw(server.port(), "127.0.0.2", "GET /_health_check HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1)).status()).as("another address").isEqualTo(200);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        // Closed connections are given back.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int status = 0;
        while (System.nanoTime() < deadline && (status = raw(server.port(), "GET /_health_check HTTP/1.1\r\nHost: x\r\n\r\n").status()) != 200) {
            Thread.sleep(50);
        }
        assertThat(status).isEqualTo(200);
    }

    @Test
    void connectionsFromATrustedProxyAreNotCountedPerAddress() throws Exception {
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .httpTimeout(Duration.ofSeconds(10)).limits(Limits.builder().maxConnectionsPerAddress(2).build())
                .trustedProxies(List.of("127.0.0.1/32")).build());
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) { // more than the limit, all from the proxy's address
                Socket s = new Socket("127.0.0.1", server.port());
                held.add(s);
                s.setSoTimeout(5000);
                s.getOutputStream().write("GET /_health_check HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertThat(Support.read(s.getInputStream()).status()).as("connection %d", i + 1).isEqualTo(200);
            }
            // an address that is not a trusted proxy is still limited
            List<Socket> other = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket s = new Socket();
                    s.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
                    s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
                    other.add(s);
                    s.setSoTimeout(5000);
                    s.getOutputStream().write("GET /_health_check HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    assertThat(Support.read(s.getInputStream()).status()).isEqualTo(200);
                }
                assertThat(raw(server.port(), "127.0.0.2", "GET /_health_check HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1)).status()).isEqualTo(429);
            } finally {
                for (Socket s : other) {
                    s.close();
                }
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void tunnelsInTotalRefuseNewTokensWith503ButNotKnownOnes() throws Exception {
        server = Support.server(l -> l.maxTunnels(1));
        agent(TOKEN_A);
        assertThatThrownBy(() -> WsAgent.upgrade(server.port(), TOKEN_B)).hasMessageContaining("503");
        closeMe.add(WsAgent.connect(server.port(), TOKEN_A, Settings.DEFAULT)); // a second agent of a known token
    }

    @Test
    void streamsPerAgentAreCappedByTheServer() throws Exception {
        server = Support.server(l -> l.maxStreamsPerAgent(1));
        WsAgent a = agent(TOKEN_A);
        List<Socket> callers = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                callers.add(s);
                s.setSoTimeout(10_000);
                s.getOutputStream().write(get(TOKEN_A, "/s" + i).getBytes(StandardCharsets.ISO_8859_1));
            }
            Frame.Open first = a.next(Frame.Open.class);
            assertThat(a.pollOpen(500)).as("second stream waits for a slot").isNull();
            a.send(new Frame.Reply(first.streamId(), new ResponseHead(204, "", Headers.of()), true));
            Frame.Open second = a.next(Frame.Open.class);
            assertThat(second.streamId()).isNotEqualTo(first.streamId());
            a.send(new Frame.Reply(second.streamId(), new ResponseHead(204, "", Headers.of()), true));
            for (Socket s : callers) {
                assertThat(Support.read(s.getInputStream()).status()).isEqualTo(204);
            }
        } finally {
            for (Socket s : callers) {
                s.close();
            }
        }
    }

    @Test
    void agentWithoutHelloIsClosedWith1008() throws Exception {
        server = Support.server(l -> l.agentHelloTimeout(Duration.ofMillis(400)));
        WsAgent silent = WsAgent.upgrade(server.port(), TOKEN_A);
        closeMe.add(silent);
        assertThat(silent.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1008);
        assertThat(silent.closeReason).contains("no HELLO");
    }

    @Test
    void slowHeadAndIdleConnectionsAreCutButASlowLongResponseIsNot() throws Exception {
        server = TunnelServer.start(io.wstunnel.srv.ServerConfig.builder().host("127.0.0.1").port(0)
                .httpTimeout(Duration.ofSeconds(20)).wsTimeout(Duration.ofSeconds(2))
                .limits(Limits.builder().requestParseTimeout(Duration.ofMillis(800)).idleTimeout(Duration.ofMillis(800))
                        .readTimeout(Duration.ofMillis(500)).build()).build());
        // Slowloris on the head: closed.
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(8000);
            s.getOutputStream().write("GET /_health_check HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
            long t0 = System.nanoTime();
            assertThat(readToEnd(s.getInputStream())).doesNotContain("200 OK");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(7000);
        }
        // Idle keep-alive: closed.
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(8000);
            s.getOutputStream().write("GET /_health_check HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(Support.read(s.getInputStream()).status()).isEqualTo(200);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        // A response streamed for longer than every timeout (read timeout here: 2 s + 2 s) to a slow reader survives.
        WsAgent a = agent(TOKEN_A);
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(get(TOKEN_A, "/long").getBytes(StandardCharsets.ISO_8859_1));
            Frame.Open open = a.next(Frame.Open.class);
            a.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "", Headers.of("Content-Length", "" + 10 * 8192)), false));
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < 10; i++) {
                        Thread.sleep(550);
                        a.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(new byte[8192]), i == 9));
                    }
                } catch (Exception ignored) {
                    // the assertion below fails
                }
            });
            writer.start();
            InputStream in = s.getInputStream();
            Support.Response head = Support.read(new java.io.ByteArrayInputStream(new byte[0])) ;
            assertThat(head.status()).isEqualTo(-1);
            long t0 = System.nanoTime();
            byte[] all = readToEnd(in, 10 * 8192);
            writer.join(10_000);
            String text = new String(all, StandardCharsets.ISO_8859_1);
            assertThat(text).startsWith("HTTP/1.1 200");
            assertThat(all.length - text.indexOf("\r\n\r\n") - 4).isEqualTo(10 * 8192);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThan(4500);
        }
    }

    static String readToEnd(InputStream in) {
        return new String(readToEnd(in, Integer.MAX_VALUE), StandardCharsets.ISO_8859_1);
    }

    /** Reads slowly (4 KiB, 50 ms pauses) until EOF or the head plus {@code bodyBytes} are in. */
    static byte[] readToEnd(InputStream in, int bodyBytes) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] b = new byte[4096];
        try {
            while (true) {
                int n = in.read(b);
                if (n < 0) {
                    break;
                }
                out.write(b, 0, n);
                String t = out.toString(StandardCharsets.ISO_8859_1);
                int h = t.indexOf("\r\n\r\n");
                if (bodyBytes != Integer.MAX_VALUE && h >= 0 && out.size() - h - 4 >= bodyBytes) {
                    break;
                }
                if (bodyBytes != Integer.MAX_VALUE) {
                    Thread.sleep(50);
                }
            }
        } catch (IOException | InterruptedException e) {
            // closed by the server
        }
        return out.toByteArray();
    }
}
