package io.wstunnel.srv;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.Settings;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The real server driven by a raw-frame agent: routing, flow control and failure semantics. */
class ServerFramingTest extends ServerPerTest {
    static final String TOKEN = "test-token-0123456789";

    CompletableFuture<HttpResponse<String>> get(String path) {
        return http.sendAsync(HttpRequest.newBuilder(url(path)).header("X-Token", TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void getRoundTripCarriesHeadAndBody() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            java.net.Socket caller = new java.net.Socket("127.0.0.1", server.port());
            caller.getOutputStream().write(("GET /_token/" + TOKEN + "/a/b%20c?x=1&y=%2F HTTP/1.1\r\nHost: 127.0.0.1:"
                    + server.port() + "\r\nConnection: X-Secret\r\nX-Secret: hop\r\nX-Keep: yes\r\n"
                    + "Proxy-Authorization: Basic eA==\r\nTE: trailers\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            Frame.Open open = agent.next(Frame.Open.class);
            assertThat(open.streamId() % 2).isEqualTo(1);
            assertThat(open.endStream()).isTrue();
            assertThat(open.head().method()).isEqualTo("GET");
            assertThat(open.head().target()).isEqualTo("/a/b%20c?x=1&y=%2F");
            assertThat(open.head().authority()).isEqualTo("127.0.0.1:" + server.port());
            Headers h = open.head().headers();
            assertThat(h.first("X-Keep")).isEqualTo("yes");
            assertThat(h.contains("X-Secret")).as("named in Connection: hop-by-hop").isFalse();
            assertThat(h.contains("X-Token")).isFalse();
            assertThat(h.contains("Proxy-Authorization")).isFalse();
            assertThat(h.contains("TE")).isFalse();
            assertThat(h.first("X-Forwarded-For")).isEqualTo("127.0.0.1");
            assertThat(h.first("X-Forwarded-Proto")).isEqualTo("http");
            assertThat(h.first("X-Forwarded-Host")).isEqualTo("127.0.0.1:" + server.port());
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(445, "Custom", Headers.of("X-Resp", "1",
                    "Keep-Alive", "timeout=5")), false));
            agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap("hello ".getBytes()), false));
            agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap("world".getBytes()), true));
            caller.setSoTimeout(10_000);
            StringBuilder sb = new StringBuilder();
            byte[] buf = new byte[4096];
            while (!sb.toString().endsWith("0\r\n\r\n")) {
                int n;
                try {
                    n = caller.getInputStream().read(buf);
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError("caller got only: " + sb, e);
                }
                if (n < 0) {
                    break;
                }
                sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            }
            String response = sb.toString();
            caller.close();
            assertThat(response).startsWith("HTTP/1.1 445 Custom\r\n").contains("X-Resp: 1\r\n")
                    .doesNotContainIgnoringCase("keep-alive: timeout").contains("Transfer-Encoding: chunked")
                    .containsPattern("\r\n0*6\r\nhello \r\n0*5\r\nworld\r\n0\r\n\r\n$");
        }
    }

    @Test
    void requestBodyNeverExceedsTheAgentWindow() throws Exception {
        int window = 16 * 1024;
        Settings small = new Settings(window, 16, 16 * 1024, 64 * 1024);
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, small)) {
            byte[] body = new byte[200 * 1024];
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) (i * 31);
            }
            var resp = http.sendAsync(HttpRequest.newBuilder(url("/up")).header("X-Token", TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            Frame.Open open = agent.next(Frame.Open.class);
            assertThat(open.endStream()).isFalse();
            assertThat(open.head().headers().first("Content-Length")).isEqualTo(String.valueOf(body.length));
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            int outstanding = 0;
            while (true) {
                Frame.Data d = agent.next(Frame.Data.class);
                byte[] b = new byte[d.length()];
                d.payload().get(b);
                got.writeBytes(b);
                outstanding += b.length;
                assertThat(outstanding).as("bytes sent beyond the window").isLessThanOrEqualTo(window);
                // Nothing more may arrive while the window is exhausted.
                if (outstanding == window) {
                    assertThat(agent.frames.poll(300, TimeUnit.MILLISECONDS)).isNull();
                }
                if (d.endStream()) {
                    break;
                }
                if (outstanding >= window / 2) {
                    agent.send(new Frame.WindowUpdate(open.streamId(), outstanding));
                    outstanding = 0;
                }
            }
            assertThat(got.toByteArray()).isEqualTo(body);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(201, "", Headers.EMPTY), true));
            assertThat(resp.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        }
    }

    @Test
    void responseCreditFollowsWhatTheCallerReads() throws Exception {
        Settings mine = Settings.DEFAULT;
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, mine)) {
            var resp = http.sendAsync(HttpRequest.newBuilder(url("/down")).header("X-Token", TOKEN).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            Frame.Open open = agent.next(Frame.Open.class);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "OK", Headers.EMPTY), false));
            int window = server.config().settings().initialWindow();
            byte[] chunk = new byte[16 * 1024];
            for (int sent = 0; sent < window; sent += chunk.length) {
                agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(chunk), false));
            }
            Frame.WindowUpdate wu = agent.next(Frame.WindowUpdate.class);
            assertThat(wu.streamId()).isEqualTo(open.streamId());
            assertThat(wu.increment()).isPositive().isLessThanOrEqualTo(window);
            agent.send(new Frame.Data(open.streamId(), ByteBuffer.allocate(0), true));
            try (InputStream in = resp.get(10, TimeUnit.SECONDS).body()) {
                assertThat(in.readAllBytes()).hasSize(window);
            }
        }
    }

    @Test
    void agentSendingBeyondTheWindowLosesItsTunnel() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT);
             java.net.Socket caller = new java.net.Socket()) {
            caller.setReceiveBufferSize(4096);
            caller.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
            caller.getOutputStream().write(("GET /x HTTP/1.1\r\nHost: h\r\nX-Token: " + TOKEN + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            Frame.Open open = agent.next(Frame.Open.class);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "OK", Headers.EMPTY), false));
            // The caller never reads: once its socket is full the server stops crediting, and an agent
            // that ignores the window must lose its tunnel.
            byte[] chunk = new byte[64 * 1024];
            for (int i = 0; i < 2048 && !agent.closed.isDone(); i++) {
                try {
                    agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(chunk), false));
                } catch (Exception e) {
                    break;
                }
            }
            // The server says why (GOAWAY FLOW_CONTROL_ERROR) and drops the socket (close 1002, or a
            // reset if the agent was still writing when it went).
            Frame.GoAway goAway = agent.next(Frame.GoAway.class);
            assertThat(goAway.code()).isEqualTo(ErrorCode.FLOW_CONTROL_ERROR);
            assertThat(agent.closed.get(10, TimeUnit.SECONDS)).isIn(1002, -1);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.agents() == 0);
            // The caller's response had started: it must be visibly broken (connection closed early).
            caller.setSoTimeout(10_000);
            InputStream in = caller.getInputStream();
            while (in.read(new byte[65536]) >= 0) {
                // drain until the server closes the connection
            }
        }
    }

    @Test
    void socketLostBeforeTheReplyGives502AndNoResend() throws Exception {
        FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT);
        var resp = get("/once");
        agent.next(Frame.Open.class);
        agent.abort();
        HttpResponse<String> r = resp.get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).isEqualTo("Tunnel connection lost before the response was complete");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        // A new agent of the token must not receive the request again.
        try (FrameAgent second = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            assertThat(second.frames.poll(500, TimeUnit.MILLISECONDS)).isNull();
        }
    }

    @Test
    void refusedStreamIsSentAgain() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            var resp = get("/retry");
            Frame.Open first = agent.next(Frame.Open.class);
            agent.send(new Frame.Reset(first.streamId(), ErrorCode.REFUSED_STREAM, "busy"));
            Frame.Open second = agent.next(Frame.Open.class);
            assertThat(second.streamId()).isGreaterThan(first.streamId());
            assertThat(second.head().target()).isEqualTo("/retry");
            agent.send(new Frame.Reply(second.streamId(), new ResponseHead(200, "OK", Headers.EMPTY), true));
            assertThat(resp.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void resetAfterReplyBreaksTheCallersResponse() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            var resp = get("/broken");
            Frame.Open open = agent.next(Frame.Open.class);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "OK", Headers.of("Content-Length", "100")), false));
            agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(new byte[10]), false));
            agent.send(new Frame.Reset(open.streamId(), ErrorCode.UPSTREAM_ERROR, "backend died"));
            assertThat(resp).failsWithin(Duration.ofSeconds(10));
        }
    }

    @Test
    void callerDisconnectResetsTheStream() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            var resp = http.sendAsync(HttpRequest.newBuilder(url("/slow")).header("X-Token", TOKEN).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            Frame.Open open = agent.next(Frame.Open.class);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "OK", Headers.EMPTY), false));
            agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap("x".getBytes()), false));
            InputStream in = resp.get(10, TimeUnit.SECONDS).body();
            assertThat(in.read()).isEqualTo('x');
            in.close(); // the JDK client closes the connection of an unfinished body
            // Keep writing until the server notices the caller is gone.
            Frame.Reset reset = null;
            for (int i = 0; i < 100 && reset == null; i++) {
                agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(new byte[1024]), false));
                Frame f = agent.frames.poll(100, TimeUnit.MILLISECONDS);
                if (f instanceof Frame.Reset r) {
                    reset = r;
                }
            }
            assertThat(reset).isNotNull();
            assertThat(reset.code()).isEqualTo(ErrorCode.CANCEL);
        }
    }

    @Test
    void requestsWaitForAnAgentThenTimeOut() throws Exception {
        restart(ServerConfig.builder().httpTimeout(Duration.ofSeconds(2)).maxRequestsPerTunnel(2));
        FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT).close(); // the token becomes known
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.agents() == 0);
        long t0 = System.nanoTime();
        var a = get("/q1");
        var b = get("/q2");
        Thread.sleep(300);
        HttpResponse<String> c = get("/q3").get(10, TimeUnit.SECONDS);
        assertThat(c.statusCode()).isEqualTo(504);
        assertThat(c.body()).isEqualTo("too many requests in-flight, tunnel broken?");
        // An agent arriving within the deadline serves what waited.
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            Frame.Open o1 = agent.next(Frame.Open.class);
            agent.send(new Frame.Reply(o1.streamId(), new ResponseHead(200, "OK", Headers.EMPTY), true));
            agent.next(Frame.Open.class); // left unanswered: times out
            HttpResponse<String> first = (o1.head().target().equals("/q1") ? a : b).get(10, TimeUnit.SECONDS);
            assertThat(first.statusCode()).isEqualTo(200);
            HttpResponse<String> other = (o1.head().target().equals("/q1") ? b : a).get(10, TimeUnit.SECONDS);
            assertThat(other.statusCode()).isEqualTo(504);
            assertThat(other.body()).isEqualTo("Tunnel timeout");
            double secs = (System.nanoTime() - t0) / 1e9;
            assertThat(secs).isBetween(1.5, 6.0);
        }
    }

    @Test
    void routingErrors() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url("/x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo("Missing X-Token header");
        r = http.send(HttpRequest.newBuilder(url("/_token/abc")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo("Missing token in URI");
        r = get("/x").get(5, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("Tunnel not found (or not seen in a long time)");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        r = http.send(HttpRequest.newBuilder(url("/_health_check")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("WSTUNSRV RUNNING\n");
        r = http.send(HttpRequest.newBuilder(url("/_tunnel")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        r = http.send(HttpRequest.newBuilder(url("/_tunnel")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo("Only GET requests are supported");
    }

    @Test
    void manyStreamsInterleaveOnOneAgent() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            int n = 10;
            @SuppressWarnings("unchecked")
            CompletableFuture<HttpResponse<String>>[] resp = new CompletableFuture[n];
            for (int i = 0; i < n; i++) {
                resp[i] = get("/m/" + i);
            }
            Frame.Open[] opens = new Frame.Open[n];
            for (int i = 0; i < n; i++) {
                opens[i] = agent.next(Frame.Open.class);
            }
            // Answer in reverse order, interleaving the bodies.
            for (int i = n - 1; i >= 0; i--) {
                agent.send(new Frame.Reply(opens[i].streamId(), new ResponseHead(200, "OK", Headers.EMPTY), false));
            }
            for (int i = 0; i < n; i++) {
                agent.send(new Frame.Data(opens[i].streamId(),
                        ByteBuffer.wrap(opens[i].head().target().getBytes(StandardCharsets.UTF_8)), true));
            }
            for (int i = 0; i < n; i++) {
                assertThat(resp[i].get(10, TimeUnit.SECONDS).body()).isEqualTo("/m/" + i);
            }
        }
    }

    @Test
    void oversizedHeadIsRefusedWith431AndTheTunnelKeepsServing() throws Exception {
        Settings smallHeads = new Settings(256 * 1024, 16, 64 * 1024, 1024);
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, smallHeads)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(url("/big")).header("X-Token", TOKEN)
                    .header("X-Big", "v".repeat(4000)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(431);
            assertThat(r.body()).startsWith("Request header fields too large");
            var ok = get("/small");
            Frame.Open open = agent.next(Frame.Open.class);
            assertThat(open.head().target()).isEqualTo("/small");
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(204, "", Headers.EMPTY), true));
            assertThat(ok.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
        }
    }

    @Test
    void aBusyAgentIsNotMistakenForAFlood() throws Exception {
        restart(ServerConfig.builder().limits(io.wstunnel.srv.limits.Limits.builder().agentControlFramesPerSecond(5).build()));
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            // 200 exchanges, far beyond the control-frame budget (5/s, burst 50): REPLYs, RESETs and
            // credits on live streams are progress, not a flood.
            for (int i = 0; i < 200; i++) {
                var resp = get("/busy/" + i);
                Frame.Open open = agent.next(Frame.Open.class);
                agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "OK", Headers.EMPTY), false));
                agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(("r" + i).getBytes(StandardCharsets.UTF_8)), true));
                assertThat(resp.get(10, TimeUnit.SECONDS).body()).isEqualTo("r" + i);
            }
            assertThat(agent.closed).isNotDone();
            assertThat(server.agents()).isEqualTo(1);
        }
    }

    @Test
    void emptyDataThatEndsAStreamOrAFewEmptyFramesAreNotAFlood() throws Exception {
        restart(ServerConfig.builder().limits(io.wstunnel.srv.limits.Limits.builder().agentControlFramesPerSecond(5).build()));
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            // 100 streams ended by an empty DATA with END_STREAM, beyond the budget (5/s, burst 50): an
            // end is progress. The first 10 also carry 3 empty DATA frames without END_STREAM each (30,
            // within the burst): a few are charged, not refused.
            for (int i = 0; i < 100; i++) {
                var resp = get("/empty-end/" + i);
                Frame.Open open = agent.next(Frame.Open.class);
                agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "OK", Headers.EMPTY), false));
                for (int k = 0; k < (i < 10 ? 3 : 0); k++) {
                    agent.send(new Frame.Data(open.streamId(), ByteBuffer.allocate(0), false));
                }
                agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(("r" + i).getBytes(StandardCharsets.UTF_8)), false));
                agent.send(new Frame.Data(open.streamId(), ByteBuffer.allocate(0), true));
                assertThat(resp.get(10, TimeUnit.SECONDS).body()).isEqualTo("r" + i);
            }
            assertThat(agent.closed).isNotDone();
            assertThat(server.agents()).isEqualTo(1);
        }
    }
}
