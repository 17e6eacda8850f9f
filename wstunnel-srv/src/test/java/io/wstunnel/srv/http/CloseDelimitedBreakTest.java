package io.wstunnel.srv.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.RawCaller;
import io.wstunnel.srv.ServerPerTest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A response without Content-Length to a caller that cannot be sent chunked (HTTP/1.0, or HTTP/1.1 with
 * {@code Connection: close}) is delimited by the end of the connection. If the agent's stream breaks
 * mid-body, a plain close would look like the end of a complete body: the connection must end with a
 * reset instead. The same response completed normally still ends with a plain close.
 */
class CloseDelimitedBreakTest extends ServerPerTest {
    static final String TOKEN = "close-delimited-token-0123";

    private RawCaller.Ending exchange(FrameAgent agent, String request, boolean breakIt) throws Exception {
        try (RawCaller caller = new RawCaller(server.port())) {
            caller.send(request);
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, new ResponseHead(200, "", Headers.of("Content-Type", "text/plain")), false));
            agent.send(new Frame.Data(id, ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)), !breakIt));
            if (breakIt) {
                agent.send(new Frame.Reset(id, ErrorCode.UPSTREAM_ERROR, "local response failed: Connection reset"));
            }
            return caller.ending();
        }
    }

    @Test
    void aBrokenBodyToAnHttp10CallerEndsWithAReset() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            String request = "GET /stream HTTP/1.0\r\nHost: h\r\nX-Token: " + TOKEN + "\r\n\r\n";
            RawCaller.Ending broken = exchange(agent, request, true);
            assertThat(broken.bytes()).doesNotContain("Content-Length").doesNotContain("Transfer-Encoding");
            assertThat(broken.reset()).as("a broken close-delimited body must not end like a complete one").isTrue();

            RawCaller.Ending complete = exchange(agent, request, false);
            assertThat(complete.bytes()).startsWith("HTTP/1.0 200 ").endsWith("\r\n\r\nhello");
            assertThat(complete.reset()).isFalse();
        }
    }

    @Test
    void aBrokenBodyToAConnectionCloseCallerEndsWithAReset() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT)) {
            String request = "GET /stream HTTP/1.1\r\nHost: h\r\nX-Token: " + TOKEN + "\r\nConnection: close\r\n\r\n";
            RawCaller.Ending broken = exchange(agent, request, true);
            assertThat(broken.reset()).as("a broken close-delimited body must not end like a complete one").isTrue();

            RawCaller.Ending complete = exchange(agent, request, false);
            assertThat(complete.bytes()).startsWith("HTTP/1.1 200 ").contains("hello");
            assertThat(complete.reset()).isFalse();
        }
    }
}
