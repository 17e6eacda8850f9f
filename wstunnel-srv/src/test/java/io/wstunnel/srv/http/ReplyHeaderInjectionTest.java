package io.wstunnel.srv.http;

import static org.assertj.core.api.Assertions.assertThat;

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
 * An agent's REPLY cannot put invalid HTTP on a caller's wire (PROTOCOL.md §3.3): a field whose name is
 * not a token is dropped; CR, LF and NUL in values and the reason phrase become spaces, also when they
 * would only appear after a code point is cut to an octet; the rest of the head and the body pass.
 */
class ReplyHeaderInjectionTest extends ServerPerTest {
    static final String TOKEN = "inject-token-0123456789";

    @Test
    void noAgentCanSplitOrCorruptTheCallersResponseHead() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("GET", "/x", TOKEN);
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, new ResponseHead(200, "OK\r\nX-Reason: 1", Headers.of(
                    "Content-Length", "2",
                    "X-A", "v\r\nInjected: yes",
                    "X-Nul", "a\0b",
                    "X-S", "a\u010d\u010aInjected2: yes",
                    "Bad Name", "dropped",
                    "X-Bad:Colon", "dropped",
                    "X-Latin", "caf\u00e9")), false));
            agent.send(new Frame.Data(id, ByteBuffer.wrap("ok".getBytes(StandardCharsets.US_ASCII)), true));

            String head = caller.head();
            assertThat(head.split("\r\n")).startsWith("HTTP/1.1 200 OK  X-Reason: 1")
                    .contains("X-A: v  Injected: yes", "X-Nul: a b", "X-S: a  Injected2: yes", "X-Latin: caf\u00e9",
                            "Content-Length: 2")
                    .noneMatch(line -> line.startsWith("Injected") || line.startsWith("X-Reason")
                            || line.contains("dropped") || line.indexOf('\0') >= 0);
            assertThat(caller.body(2)).isEqualTo("ok");
        }
    }

    @Test
    void safeLeavesOrdinaryValuesAlone() {
        String v = "text/html; charset=utf-8";
        assertThat(ResponseHeads.safe(v)).isSameAs(v);
        assertThat(ResponseHeads.safe("a\r\nb\0")).isEqualTo("a  b ");
    }
}
