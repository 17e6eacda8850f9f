package io.wstunnel.srv;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.Settings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The server announces REPLY_BODY and treats a REPLY's body exactly like DATA (PROTOCOL.md §3.3). */
class ReplyBodyServerTest {
    static final String TOKEN = "test-token-0123456789";
    TunnelServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(Duration.ZERO);
        }
    }

    private void start(Settings settings) {
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0).settings(settings)
                .httpTimeout(Duration.ofSeconds(20)).build());
    }

    private CompletableFuture<HttpResponse<String>> get(String path) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("X-Token", TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void replyWithBodyReachesTheCallerWholeOrContinuedByData() throws Exception {
        start(Settings.DEFAULT);
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            assertThat(agent.serverSettings.replyBody()).isTrue();

            CompletableFuture<HttpResponse<String>> whole = get("/whole");
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, new ResponseHead(203, "Fine", Headers.of("Content-Length", "5")), true,
                    ByteBuffer.wrap("howdy".getBytes(StandardCharsets.US_ASCII))));
            HttpResponse<String> r = whole.get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(203);
            assertThat(r.body()).isEqualTo("howdy");

            CompletableFuture<HttpResponse<String>> continued = get("/continued");
            id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, new ResponseHead(200, "OK", Headers.EMPTY), false,
                    ByteBuffer.wrap("first ".getBytes(StandardCharsets.US_ASCII))));
            agent.send(new Frame.Data(id, ByteBuffer.wrap("second".getBytes(StandardCharsets.US_ASCII)), true));
            assertThat(continued.get(10, TimeUnit.SECONDS).body()).isEqualTo("first second");
        }
    }

    @Test
    void aReplyBodyBeyondTheWindowIsAFlowControlError() throws Exception {
        start(new Settings(1024, 256, 64 * 1024, 64 * 1024));
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            CompletableFuture<HttpResponse<String>> caller = get("/too-much");
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, new ResponseHead(200, "OK", Headers.EMPTY), true, ByteBuffer.allocate(1025)));
            Frame.GoAway goAway = agent.next(Frame.GoAway.class);
            assertThat(goAway.code()).isEqualTo(ErrorCode.FLOW_CONTROL_ERROR);
            assertThat(agent.closed.get(10, TimeUnit.SECONDS)).isIn(1002, -1);
            // the request had reached the agent: the caller gets 502, never a resend
            assertThat(caller.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(502);
        }
    }
}
