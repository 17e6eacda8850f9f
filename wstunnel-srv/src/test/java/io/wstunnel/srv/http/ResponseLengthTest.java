package io.wstunnel.srv.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.LogCapture;
import io.wstunnel.srv.RawCaller;
import io.wstunnel.srv.ServerPerTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A REPLY's Content-Length is the exact body the agent sends (PROTOCOL.md §3.3): an agent that sends
 * less or more is reset (stream PROTOCOL_ERROR) and never gives a raw-socket caller a complete-looking
 * response it did not announce; the caller's keep-alive connection then serves its next request, or
 * is closed.
 */
class ResponseLengthTest extends ServerPerTest {
    static final String TOKEN = "length-token-0123456789";

    private static ResponseHead head(int status, String contentLength) {
        return new ResponseHead(status, "", Headers.of("Content-Length", contentLength));
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** Serves GET /next on the same connection: it must reach the agent and its answer the caller. */
    private static void assertServesNext(RawCaller caller, FrameAgent agent) throws Exception {
        caller.request("GET", "/next", TOKEN);
        int id = agent.next(Frame.Open.class).streamId();
        agent.send(new Frame.Reply(id, head(200, "4"), false));
        agent.send(new Frame.Data(id, ascii("next"), true));
        assertThat(caller.head()).startsWith("HTTP/1.1 200 ").contains("Content-Length: 4\r\n");
        assertThat(caller.body(4)).isEqualTo("next");
    }

    /** Reads a 502 with exactly {@code text} as its plain-text body. */
    private static void assert502(RawCaller caller, String text) throws IOException {
        assertThat(caller.head()).startsWith("HTTP/1.1 502 ").contains("Content-Length: " + text.length() + "\r\n")
                .contains("Content-Type: text/plain; charset=utf-8\r\n");
        assertThat(caller.body(text.length())).isEqualTo(text);
    }

    /**
     * Reads until the server closes the connection and asserts that what came is no complete response:
     * a 200 head announcing {@code contentLength} and fewer body bytes, or nothing.
     *
     * @return the body bytes that came
     */
    private static String assertBroken(RawCaller caller, int contentLength) throws IOException {
        String all = caller.untilClosed();
        int end = all.indexOf("\r\n\r\n");
        if (end < 0) {
            assertThat(all).isEmpty();
            return "";
        }
        assertThat(all.substring(0, end + 2)).startsWith("HTTP/1.1 200 ").contains("Content-Length: " + contentLength + "\r\n");
        String body = all.substring(end + 4);
        assertThat(body.length()).as("body bytes of a broken response").isLessThan(contentLength);
        return body;
    }

    private static void assertProtocolError(FrameAgent agent, int id) throws InterruptedException {
        Frame.Reset reset = agent.next(Frame.Reset.class);
        assertThat(reset.streamId()).isEqualTo(id);
        assertThat(reset.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void aReplyEndingTheStreamWithAPositiveContentLengthIs502() throws Exception {
        try (LogCapture logs = LogCapture.info("io.wstunnel.srv");
             FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("GET", "/empty", TOKEN);
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(200, "10"), true));
            assertProtocolError(agent, id);
            assert502(caller, "Agent answered 200 with Content-Length 10 but ended the stream");
            assertServesNext(caller, agent);
            assertThat(logs.messages()).filteredOn(m -> m.contains("Content-Length")).hasSize(1);
        }
    }

    @Test
    void aReplyWhoseOwnBodyBreaksItsContentLengthIs502() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("GET", "/long-reply", TOKEN);
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(200, "3"), true, ascii("hello")));
            assertProtocolError(agent, id);
            assert502(caller, "Agent answered 200 with Content-Length 3 but sent more");

            caller.request("GET", "/short-reply", TOKEN);
            id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(200, "10"), true, ascii("hello")));
            assertProtocolError(agent, id);
            assert502(caller, "Agent answered 200 with Content-Length 10 but ended the stream after 5 bytes");

            caller.request("GET", "/invalid", TOKEN);
            id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(200, "ten"), true, ascii("hello")));
            assertProtocolError(agent, id);
            assert502(caller, "Agent answered 200 with an invalid Content-Length");
            assertServesNext(caller, agent);
        }
    }

    @Test
    void responsesWithoutBodyKeepTheirContentLength() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("HEAD", "/head", TOKEN);
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(200, "10"), true));
            assertThat(caller.head()).startsWith("HTTP/1.1 200 ").contains("Content-Length: 10\r\n");
            caller.request("GET", "/not-modified", TOKEN);
            id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(304, "10"), true));
            assertThat(caller.head()).startsWith("HTTP/1.1 304 ");
            assertServesNext(caller, agent);
        }
    }

    @Test
    void bytesOnAResponseAnnouncingNoBodyResetTheStreamAndTheResponseStaysComplete() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("HEAD", "/head-with-body", TOKEN);
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(200, "10"), true, ascii("0123456789")));
            assertProtocolError(agent, id);
            assertThat(caller.head()).startsWith("HTTP/1.1 200 ").contains("Content-Length: 10\r\n");

            caller.request("GET", "/empty-then-more", TOKEN);
            id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(200, "0"), false));
            agent.send(new Frame.Data(id, ascii("x"), true));
            assertProtocolError(agent, id);
            assertThat(caller.head()).startsWith("HTTP/1.1 200 ").contains("Content-Length: 0\r\n");
            assertServesNext(caller, agent);
        }
    }

    @Test
    void aBodyShorterThanItsContentLengthBreaksTheResponse() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("GET", "/short", TOKEN);
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(200, "10"), false));
            agent.send(new Frame.Data(id, ascii("hello"), true));
            assertProtocolError(agent, id);
            assertThat(assertBroken(caller, 10)).isIn("", "hello");
        }
    }

    @Test
    void aBodyPastItsContentLengthIsAStreamProtocolErrorAndBreaksTheResponse() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("GET", "/long", TOKEN);
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(200, "10"), false));
            agent.send(new Frame.Data(id, ascii("hello"), false));
            agent.send(new Frame.Data(id, ascii(" world, and more"), false));
            assertProtocolError(agent, id);
            assertThat(assertBroken(caller, 10)).isIn("", "hello");
        }
    }

    @Test
    void dataAfterACompleteBodyResetsTheStreamAndTheConnectionServesTheNextRequest() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN, Settings.DEFAULT);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("GET", "/exact-then-more", TOKEN);
            int id = agent.next(Frame.Open.class).streamId();
            agent.send(new Frame.Reply(id, head(200, "5"), false));
            agent.send(new Frame.Data(id, ascii("hello"), false));
            assertThat(caller.head()).startsWith("HTTP/1.1 200 ").contains("Content-Length: 5\r\n");
            assertThat(caller.body(5)).isEqualTo("hello");
            agent.send(new Frame.Data(id, ascii("extra"), true));
            assertProtocolError(agent, id);
            assertServesNext(caller, agent);
        }
    }
}
