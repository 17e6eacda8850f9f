package io.wstunnel.cli;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.Settings;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Small responses go out as one REPLY with the BODY flag, only to a server that announced REPLY_BODY. */
@Timeout(60)
class ReplyBodyAgentTest {
    private WireMockServer wm;

    @BeforeEach
    void startWireMock() {
        wm = Harness.startWireMock();
        wm.stubFor(get(urlEqualTo("/small")).willReturn(aResponse().withStatus(201)
                .withHeader("Content-Length", "10").withBody("small body")));
        wm.stubFor(get(urlEqualTo("/big")).willReturn(aResponse().withStatus(200).withBody("x".repeat(40_000))));
        wm.stubFor(get(urlEqualTo("/chunked")).willReturn(aResponse().withStatus(200)
                .withHeader("Transfer-Encoding", "chunked").withBody("streamed")));
    }

    @AfterEach
    void stopWireMock() {
        wm.stop();
    }

    private Harness harness(boolean replyBody) throws InterruptedException {
        return new Harness(Settings.DEFAULT.withReplyBody(replyBody), b -> b.server(Harness.http(wm.port(), "")));
    }

    @Test
    void smallKnownLengthResponseIsOneReplyWithBodyAndEndStream() throws Exception {
        try (Harness h = harness(true)) {
            h.conn.send(Harness.get(1, "/small", Headers.EMPTY));
            Frame.Reply r = h.conn.next(Frame.Reply.class);
            assertThat(r.head().status()).isEqualTo(201);
            assertThat(r.endStream()).isTrue();
            assertThat(StandardCharsets.UTF_8.decode(r.body()).toString()).isEqualTo("small body");
            // the stream is finished: a second request on a new stream works and nothing else arrives for 1
            h.conn.send(Harness.get(3, "/small", Headers.EMPTY));
            Frame next = h.conn.next();
            assertThat(next.streamId()).isEqualTo(3);
        }
    }

    @Test
    void withoutTheSettingTheSameResponseIsReplyThenData() throws Exception {
        try (Harness h = harness(false)) {
            h.conn.send(Harness.get(1, "/small", Headers.EMPTY));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().hasBody()).isFalse();
            assertThat(r.reply().endStream()).isFalse();
            assertThat(r.text()).isEqualTo("small body");
        }
    }

    @Test
    void largeOrUnknownLengthResponsesAreNotHeld() throws Exception {
        try (Harness h = harness(true)) {
            h.conn.send(Harness.get(1, "/big", Headers.EMPTY));
            Harness.Response big = h.collect(1);
            assertThat(big.reply().hasBody()).isFalse();
            assertThat(big.body()).hasSize(40_000);
            h.conn.send(Harness.get(3, "/chunked", Headers.EMPTY));
            Harness.Response chunked = h.collect(3);
            assertThat(chunked.reply().hasBody()).isFalse();
            assertThat(chunked.text()).isEqualTo("streamed");
        }
    }
}
