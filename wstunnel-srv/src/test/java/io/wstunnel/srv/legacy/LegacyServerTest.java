package io.wstunnel.srv.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.RawCaller;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.ServerPerTest;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Our server with legacy (Go-framing) agents: streaming, ordering, limits and failures. */
class LegacyServerTest extends ServerPerTest {
    static final String TOKEN = "legacy-token-0123456789";

    CompletableFuture<HttpResponse<byte[]>> get(String path) {
        return http.sendAsync(HttpRequest.newBuilder(url(path)).header("X-Token", TOKEN).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static String ok(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void theUpgradeResponseHasTheGoServersHeadersAndNeverEchoesTheToken() throws Exception {
        try (RawCaller c = new RawCaller(server.port())) {
            c.send("GET /_tunnel HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Origin: " + TOKEN + "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            String head = c.head();
            Set<String> names = new HashSet<>();
            String[] lines = head.split("\r\n");
            for (int i = 1; i < lines.length; i++) {
                names.add(lines[i].substring(0, lines[i].indexOf(':')).toLowerCase(java.util.Locale.ROOT));
            }
            assertThat(lines[0]).isEqualTo("HTTP/1.1 101 Switching Protocols");
            // vectors srv-to-agent/00-upgrade-response-101.txt: Upgrade, Connection, Sec-WebSocket-Accept (+ Date)
            assertThat(names).contains("upgrade", "connection", "sec-websocket-accept")
                    .doesNotContain("origin", "sec-websocket-origin", "sec-websocket-location");
            assertThat(head).doesNotContain(TOKEN)
                    .contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        }
    }

    @Test
    void getRoundTripWithIdsCountingPerTokenAcrossReconnects() throws Exception {
        LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
        CompletableFuture<HttpResponse<byte[]>> f = get("/hello?x=1");
        LegacyTestAgent.Request r = agent.next();
        assertThat(r.idText()).isEqualTo("0001");
        assertThat(r.method()).isEqualTo("GET");
        assertThat(r.target()).isEqualTo("/hello?x=1");
        assertThat(r.version()).isEqualTo("HTTP/1.1");
        assertThat(r.headers().get(0)[0]).isEqualTo("Host");
        assertThat(r.header("Host")).isEqualTo("127.0.0.1:" + server.port());
        assertThat(r.headers().get(1)[0]).isEqualTo("User-Agent");
        agent.reply(r.idText(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n"
                + "Keep-Alive: timeout=5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n\r\nhello");
        HttpResponse<byte[]> resp = f.get(10, TimeUnit.SECONDS);
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(new String(resp.body(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(resp.headers().allValues("Set-Cookie")).containsExactly("a=1", "b=2");
        assertThat(resp.headers().firstValue("Keep-Alive")).isEmpty();
        assertThat(agent.pongCount()).as("the server answers pings").isPositive();

        f = get("/second");
        r = agent.next();
        assertThat(r.idText()).isEqualTo("0002");
        agent.reply(r.idText(), ok("2"));
        assertThat(f.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

        // a request arriving while the agent is away waits for it; ids continue on the new socket
        agent.abort();
        Thread.sleep(500); // let the server see the socket go
        f = get("/after-reconnect");
        Thread.sleep(200);
        LegacyTestAgent again = LegacyTestAgent.connect(server.port(), TOKEN);
        r = again.next();
        assertThat(r.idText()).isEqualTo("0003");
        again.reply(r.idText().toUpperCase(), ok("3"));
        assertThat(new String(f.get(10, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8)).isEqualTo("3");
        again.close();
    }

    @Test
    void twentyConcurrentRequestsAnsweredOutOfOrder() throws Exception {
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN)) {
            List<CompletableFuture<HttpResponse<byte[]>>> fs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                fs.add(get("/n/" + i));
            }
            List<LegacyTestAgent.Request> got = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                got.add(agent.next());
            }
            Set<String> ids = new HashSet<>();
            got.forEach(r -> ids.add(r.idText()));
            assertThat(ids).hasSize(20);
            Collections.reverse(got);
            for (LegacyTestAgent.Request r : got) {
                agent.reply(r.idText(), ok("re:" + r.target()));
            }
            for (int i = 0; i < 20; i++) {
                HttpResponse<byte[]> resp = fs.get(i).get(10, TimeUnit.SECONDS);
                assertThat(new String(resp.body(), StandardCharsets.UTF_8)).isEqualTo("re:/n/" + i);
            }
        }
    }

    @Test
    void twelveMebibytePostAndGetAreByteExact() throws Exception {
        byte[] big = new byte[12 * 1024 * 1024];
        new java.util.Random(42).nextBytes(big);
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN)) {
            // POST with Content-Length
            CompletableFuture<HttpResponse<byte[]>> post = http.sendAsync(HttpRequest.newBuilder(url("/upload"))
                    .header("X-Token", TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            LegacyTestAgent.Request r = agent.next();
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(big.length));
            assertThat(sha(r.body())).isEqualTo(sha(big));
            agent.reply(r.idText(), ok("stored"));
            assertThat(post.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

            // POST with a chunked (unknown-length) body
            CompletableFuture<HttpResponse<byte[]>> chunked = http.sendAsync(HttpRequest.newBuilder(url("/upload2"))
                    .header("X-Token", TOKEN).POST(HttpRequest.BodyPublishers.ofInputStream(
                            () -> new java.io.ByteArrayInputStream(big))).build(), HttpResponse.BodyHandlers.ofByteArray());
            r = agent.next();
            assertThat(r.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(sha(r.body())).isEqualTo(sha(big));
            agent.reply(r.idText(), ok("stored"));
            assertThat(chunked.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

            // GET of 12 MiB: Content-Length framed, fragments of 100 KiB like the Go agent
            CompletableFuture<HttpResponse<byte[]>> get = get("/download");
            r = agent.next();
            ByteArrayOutputStream msg = new ByteArrayOutputStream();
            msg.writeBytes((r.idText() + "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                    + big.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            msg.writeBytes(big);
            agent.send(msg.toByteArray(), 102_400);
            HttpResponse<byte[]> resp = get.get(30, TimeUnit.SECONDS);
            assertThat(resp.statusCode()).isEqualTo(200);
            assertThat(sha(resp.body())).isEqualTo(sha(big));

            // GET unframed (to the end of the message)
            get = get("/download-unframed");
            r = agent.next();
            msg.reset();
            msg.writeBytes((r.idText() + "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            msg.writeBytes(big);
            agent.send(msg.toByteArray(), 65_536);
            resp = get.get(30, TimeUnit.SECONDS);
            assertThat(sha(resp.body())).isEqualTo(sha(big));
        }
    }

    @Test
    void aSlowCallerPausesTheLegacySocketInsteadOfBuffering() throws Exception {
        byte[] big = new byte[32 * 1024 * 1024];
        new java.util.Random(7).nextBytes(big);
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
             Socket caller = new Socket("127.0.0.1", server.port())) {
            caller.setReceiveBufferSize(64 * 1024);
            caller.setSoTimeout(20_000);
            caller.getOutputStream().write(("GET /big HTTP/1.1\r\nHost: x\r\nX-Token: " + TOKEN + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            LegacyTestAgent.Request r = agent.next();
            byte[] head = (r.idText() + "HTTP/1.1 200 OK\r\nContent-Length: " + big.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    agent.send(concat(head, big), 102_400);
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            Thread.sleep(1500);
            assertThat(sent).as("the agent is held back while the caller does not read").isNotDone();
            InputStream in = caller.getInputStream();
            String status = readUntil(in, "\r\n\r\n");
            assertThat(status).startsWith("HTTP/1.1 200");
            int headEnd = status.indexOf("\r\n\r\n") + 4;
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(status.substring(headEnd).getBytes(StandardCharsets.ISO_8859_1));
            body.write(in.readNBytes(big.length - body.size()));
            assertThat(sha(body.toByteArray())).isEqualTo(sha(big));
            sent.get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void fragmentedResponseIsDeliveredWhileTheMessageIsStillOpen() throws Exception {
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
             Socket caller = new Socket("127.0.0.1", server.port())) {
            caller.setSoTimeout(10_000);
            caller.getOutputStream().write(("GET /stream HTTP/1.1\r\nHost: x\r\nX-Token: " + TOKEN + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            LegacyTestAgent.Request r = agent.next();
            agent.sendFragment((r.idText() + "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one;")
                    .getBytes(StandardCharsets.ISO_8859_1), false);
            String seen = readUntil(caller.getInputStream(), "part one;");
            assertThat(seen).contains("part one;");
            agent.sendFragment("part two".getBytes(StandardCharsets.ISO_8859_1), true);
            assertThat(readUntil(caller.getInputStream(), "0\r\n\r\n")).contains("part two");
        }
    }

    static String readUntil(InputStream in, String marker) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!seen.toString(StandardCharsets.ISO_8859_1).contains(marker)) {
            int n = in.read(buf);
            if (n < 0) {
                break;
            }
            seen.write(buf, 0, n);
        }
        return seen.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aStalledUploadHoldsTheSocketOnlyForABoundedTime() throws Exception {
        System.setProperty("wstunnel.legacy.uploadStallMillis", "1500");
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
             Socket uploader = new Socket("127.0.0.1", server.port())) {
            uploader.setSoTimeout(15_000);
            uploader.getOutputStream().write(("POST /slow-upload HTTP/1.1\r\nHost: x\r\nX-Token: " + TOKEN
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n").getBytes(StandardCharsets.ISO_8859_1));
            uploader.getOutputStream().flush();
            Thread.sleep(300); // the upload takes the socket's message slot first
            long t0 = System.nanoTime();
            CompletableFuture<HttpResponse<byte[]>> quick = get("/quick");
            LegacyTestAgent.Request first = agent.next();
            assertThat(first.method()).as("the upload's message was cut after its head and first bytes").isEqualTo("BROKEN");
            LegacyTestAgent.Request r = agent.next();
            assertThat(r.target()).isEqualTo("/quick");
            agent.reply(r.idText(), ok("quick"));
            assertThat(quick.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(8_000);
            String resp = readUntil(uploader.getInputStream(), "stalled");
            assertThat(resp).startsWith("HTTP/1.1 408");
        } finally {
            System.clearProperty("wstunnel.legacy.uploadStallMillis");
        }
    }

    @Test
    void requestsWithoutBodyGoOutWhileAnUploadStreams() throws Exception {
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
             Socket uploader = new Socket("127.0.0.1", server.port())) {
            uploader.setSoTimeout(15_000);
            OutputStream up = uploader.getOutputStream();
            up.write(("PUT /upload HTTP/1.1\r\nHost: x\r\nX-Token: " + TOKEN + "\r\nContent-Length: 10\r\n\r\n12345")
                    .getBytes(StandardCharsets.ISO_8859_1));
            up.flush();
            Thread.sleep(300);
            CompletableFuture<HttpResponse<byte[]>> quick = get("/quick");
            Thread.sleep(300);
            assertThat(agent.partialBytes()).as("the request message streams: head and first bytes already sent")
                    .isGreaterThan(10);
            assertThat(agent.poll(10)).as("the message is still open").isNull();
            up.write("67890".getBytes(StandardCharsets.ISO_8859_1)); // the upload ends: the slot is free
            up.flush();
            LegacyTestAgent.Request put = agent.next();
            assertThat(put.method()).isEqualTo("PUT");
            assertThat(new String(put.body(), StandardCharsets.ISO_8859_1)).isEqualTo("1234567890");
            LegacyTestAgent.Request get = agent.next();
            assertThat(get.target()).isEqualTo("/quick");
            agent.reply(get.idText(), ok("q"));
            agent.reply(put.idText(), ok("p"));
            assertThat(quick.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(readUntil(uploader.getInputStream(), "\r\n\r\np")).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void contentLengthOver100MiBIs413AndNotSent() throws Exception {
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
             Socket caller = new Socket("127.0.0.1", server.port())) {
            caller.setSoTimeout(10_000);
            OutputStream out = caller.getOutputStream();
            out.write(("POST /huge HTTP/1.1\r\nHost: x\r\nX-Token: " + TOKEN + "\r\nContent-Length: " + (101L * 1024 * 1024)
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[1024]);
            String resp = readUntil(caller.getInputStream(), "per message)");
            assertThat(resp).startsWith("HTTP/1.1 413").contains("limit 100 MiB per message");
            assertThat(agent.poll(300)).as("nothing reaches the agent").isNull();
        }
    }

    @Test
    void malformedReplyIs506AndTheTunnelStaysUp() throws Exception {
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN)) {
            CompletableFuture<HttpResponse<byte[]>> f = get("/malformed");
            LegacyTestAgent.Request r = agent.next();
            agent.reply("7cfe", ok("orphan")); // unknown id: ignored
            agent.reply(r.idText(), "this is not an HTTP response\r\n\r\n");
            HttpResponse<byte[]> resp = f.get(10, TimeUnit.SECONDS);
            assertThat(resp.statusCode()).isEqualTo(506);
            assertThat(resp.body()).isEmpty();
            assertThat(resp.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
            f = get("/after");
            r = agent.next();
            agent.reply(r.idText(), ok("fine"));
            assertThat(f.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void socketDeathFailsInFlightRequestsWith502() throws Exception {
        LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
        CompletableFuture<HttpResponse<byte[]>> f = get("/dies");
        agent.next();
        agent.abort();
        HttpResponse<byte[]> resp = f.get(10, TimeUnit.SECONDS);
        assertThat(resp.statusCode()).isEqualTo(502);
    }

    @Test
    void anAgentThatStopsPingingIsClosedAfterWsTimeout() throws Exception {
        restart(ServerConfig.builder().wsTimeout(Duration.ofSeconds(2)).httpTimeout(Duration.ofSeconds(20)));
        try (LegacyTestAgent pinging = LegacyTestAgent.connect(server.port(), TOKEN);
             LegacyTestAgent silent = LegacyTestAgent.connect(server.port(), TOKEN + "-2", false)) {
            assertThat(silent.closed.get(10, TimeUnit.SECONDS)).isNotNull();
            assertThat(pinging.closed).as("a pinging agent stays").isNotDone();
        }
    }

    @Test
    void textMessageDropsTheSocket() throws Exception {
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN)) {
            agent.sendText("hello");
            assertThat(agent.closed.get(10, TimeUnit.SECONDS)).isNotNull();
        }
    }

    @Test
    void legacyAndV2AgentsServeOneToken() throws Exception {
        try (LegacyTestAgent legacy = LegacyTestAgent.connect(server.port(), TOKEN);
             FrameAgent v2 = FrameAgent.connect(server.port(), TOKEN)) {
            int servedLegacy = 0;
            int servedV2 = 0;
            for (int round = 0; round < 6; round++) {
                List<CompletableFuture<HttpResponse<byte[]>>> fs = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    fs.add(get("/mixed/" + round + "/" + i));
                }
                int answered = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (answered < 4 && System.nanoTime() < deadline) {
                    LegacyTestAgent.Request r = legacy.poll(20);
                    if (r != null) {
                        legacy.reply(r.idText(), ok("legacy"));
                        answered++;
                        servedLegacy++;
                    }
                    Frame f = v2.frames.poll(20, TimeUnit.MILLISECONDS);
                    if (f instanceof Frame.Open o) {
                        v2.send(new Frame.Reply(o.streamId(), new ResponseHead(200, "OK", Headers.of("Content-Length", "2")), false));
                        v2.send(new Frame.Data(o.streamId(), ByteBuffer.wrap("v2".getBytes(StandardCharsets.US_ASCII)), true));
                        answered++;
                        servedV2++;
                    }
                }
                for (CompletableFuture<HttpResponse<byte[]>> f : fs) {
                    HttpResponse<byte[]> resp = f.get(10, TimeUnit.SECONDS);
                    assertThat(resp.statusCode()).isEqualTo(200);
                    assertThat(new String(resp.body(), StandardCharsets.UTF_8)).isIn("legacy", "v2");
                }
            }
            assertThat(servedLegacy).isPositive();
            assertThat(servedV2).isPositive();
        }
    }

    static String sha(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Arrays.stream(parts).forEach(out::writeBytes);
        return out.toByteArray();
    }
}
