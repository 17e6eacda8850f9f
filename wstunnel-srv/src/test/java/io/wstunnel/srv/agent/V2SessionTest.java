package io.wstunnel.srv.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.ServerPerTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A {@link V2Session} on a real server, driven by a raw-frame agent: the agent's stream ids and
 * frames that break a stream-level rule (PROTOCOL.md §2, §3.2, §3.3).
 */
class V2SessionTest extends ServerPerTest {
    static final String TOKEN = "v2session-token-0123456789";

    /** An OPEN of kind 0x7f, unknown to this version: header and kind only (the rest is not interpreted). */
    static byte[] unknownKindOpen(int streamId) {
        return ByteBuffer.allocate(7).put((byte) 0x01).put((byte) 0).putInt(streamId).put((byte) 0x7f).array();
    }

    /** An HTTP OPEN, well-formed except for its empty method. */
    static byte[] emptyMethodOpen(int streamId) {
        return ByteBuffer.allocate(17).put((byte) 0x01).put((byte) 1).putInt(streamId).put((byte) 0)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0) // method, target, authority, scheme
                .putShort((short) 0) // no headers
                .array();
    }

    /** A REPLY, well-formed except for its status. */
    static byte[] replyWithStatus(int streamId, int status) {
        ByteBuffer b = FrameCodec.encode(new Frame.Reply(streamId, new ResponseHead(200, "", Headers.EMPTY), true));
        b.putShort(6, (short) status);
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    static Frame.Open wellFormedOpen(int streamId) {
        return new Frame.Open(streamId, StreamKind.HTTP, new RequestHead("GET", "/", "x", "http", Headers.EMPTY), true);
    }

    CompletableFuture<HttpResponse<String>> get(String path) {
        return http.sendAsync(HttpRequest.newBuilder(url(path)).header("X-Token", TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** §3.2: an OPEN with the server's parity is a connection PROTOCOL_ERROR whatever its kind; no stream is reset for it. */
    @Test
    void anOpenOfUnknownKindWithTheServersOwnStreamIdIsAConnectionError() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN)) {
            var resp = get("/live");
            Frame.Open live = agent.next(Frame.Open.class);
            agent.sendRaw(unknownKindOpen(live.streamId()));
            Frame f = agent.next();
            assertThat(f).as("the first answer: GOAWAY, not a RESET of the live stream").isInstanceOf(Frame.GoAway.class);
            assertThat(((Frame.GoAway) f).code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            assertThat(agent.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1002);
            assertThat(resp.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(502);
        }
    }

    /**
     * §3.2: a malformed OPEN (unknown kind, empty method) is reset (PROTOCOL_ERROR) and the connection
     * stays, but its id counts as used: an OPEN that does not go above it is a connection error.
     */
    @Test
    void aMalformedOpenIsResetAndUsesItsIdUp() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN)) {
            agent.sendRaw(unknownKindOpen(4));
            Frame.Reset r4 = agent.next(Frame.Reset.class);
            assertThat(r4.streamId()).isEqualTo(4);
            assertThat(r4.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            agent.sendRaw(emptyMethodOpen(8));
            Frame.Reset r8 = agent.next(Frame.Reset.class);
            assertThat(r8.streamId()).isEqualTo(8);
            assertThat(r8.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);

            var resp = get("/still-served"); // the connection stays
            Frame.Open open = agent.next(Frame.Open.class);
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(204, "", Headers.EMPTY), true));
            assertThat(resp.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);

            agent.send(wellFormedOpen(6)); // not above 8
            assertThat(agent.next(Frame.GoAway.class).code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            assertThat(agent.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1002);
        }
    }

    /** A malformed OPEN with the agent's parity and an increasing id is checked like a well-formed one too. */
    @Test
    void aMalformedOpenBelowTheAgentsLastIdIsAConnectionError() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN)) {
            agent.send(wellFormedOpen(10));
            assertThat(agent.next(Frame.Reset.class).code()).isEqualTo(ErrorCode.REFUSED_STREAM);
            agent.sendRaw(unknownKindOpen(10));
            assertThat(agent.next(Frame.GoAway.class).code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            assertThat(agent.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1002);
        }
    }

    /**
     * §3.3: a REPLY with an out-of-range status resets its stream when the stream is live (the caller
     * gets 502) and is ignored, like any frame for an unknown stream, when it is not: no RESET answers it.
     */
    @Test
    void aReplyWithAnOutOfRangeStatusResetsOnlyALiveStream() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN)) {
            agent.sendRaw(replyWithStatus(99, 0));
            agent.sendRaw(unknownKindOpen(2)); // its RESET is queued after anything the REPLY caused
            assertThat(agent.next(Frame.Reset.class).streamId()).as("the first RESET").isEqualTo(2);

            var resp = get("/bad-status");
            Frame.Open open = agent.next(Frame.Open.class);
            agent.sendRaw(replyWithStatus(open.streamId(), 1000));
            Frame.Reset reset = agent.next(Frame.Reset.class);
            assertThat(reset.streamId()).isEqualTo(open.streamId());
            assertThat(reset.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            assertThat(resp.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(502);
            assertThat(agent.closed).isNotDone();
        }
    }

    /**
     * When its stream ids run out, a session opens no more streams: it sends GOAWAY (NO_ERROR) after
     * the OPEN of its last id, lets that stream finish, then closes with 1000 so the agent redials;
     * a request that arrived meanwhile goes to the agent's next socket.
     */
    @Test
    void aSessionWhoseStreamIdsRunOutSaysGoAwayAndClosesAfterItsLastStream() throws Exception {
        V2Session.firstStreamId = V2Session.LAST_STREAM_ID;
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN)) {
            V2Session.firstStreamId = 1; // for the next socket
            var last = get("/last");
            Frame.Open open = agent.next(Frame.Open.class);
            assertThat(open.streamId()).isEqualTo(V2Session.LAST_STREAM_ID);
            Frame.GoAway goAway = agent.next(Frame.GoAway.class);
            assertThat(goAway.code()).isEqualTo(ErrorCode.NO_ERROR);
            assertThat(goAway.lastStreamId()).isZero();

            var waiting = get("/waiting");
            assertThat(agent.closed).as("open while its last stream is live").isNotDone();
            agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "", Headers.EMPTY), true));
            assertThat(last.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(agent.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1000);
            assertThat(agent.frames).noneMatch(f -> f instanceof Frame.Open);

            try (FrameAgent next = FrameAgent.connect(server.port(), TOKEN)) {
                Frame.Open o = next.next(Frame.Open.class);
                assertThat(o.head().target()).isEqualTo("/waiting");
                assertThat(o.streamId()).isEqualTo(1);
                next.send(new Frame.Reply(o.streamId(), new ResponseHead(200, "", Headers.EMPTY), true));
                assertThat(waiting.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
        } finally {
            V2Session.firstStreamId = 1;
        }
    }
}
