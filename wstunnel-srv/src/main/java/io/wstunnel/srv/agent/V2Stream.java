package io.wstunnel.srv.agent;

import io.wstunnel.protocol.BodyLength;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.FlowWindow;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.ProtocolException;
import io.wstunnel.protocol.ReceiveWindow;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.srv.tunnel.AgentStream;
import io.wstunnel.srv.tunnel.CallerStream;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream of a {@link V2Session}. Its fields are guarded by the session's monitor; the caller is
 * notified only after the monitor is released.
 */
final class V2Stream implements AgentStream {
    private static final Logger log = LoggerFactory.getLogger(V2Session.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    private final V2Session session;
    private final OutboundQueue out;
    private final int id;
    final CallerStream caller;
    private final FlowWindow sendWindow;
    private final ReceiveWindow recvWindow;
    private final int maxFramePayload;
    boolean replied;
    boolean localEnded;
    boolean remoteEnded;
    boolean closed;
    /** The response body as the REPLY's Content-Length announced it; null until the REPLY. */
    private BodyLength body;
    /** Set on the IO thread once the OPEN frame is on the socket. */
    volatile boolean openWritten;

    V2Stream(V2Session session, OutboundQueue out, int id, CallerStream caller, int sendWindow,
             ReceiveWindow recvWindow, int maxFramePayload) {
        this.session = session;
        this.out = out;
        this.id = id;
        this.caller = caller;
        this.sendWindow = new FlowWindow(sendWindow);
        this.recvWindow = recvWindow;
        this.maxFramePayload = maxFramePayload;
    }

    /** @return the OPEN frame of a stream, or null when its head exceeds {@code maxHeadSize} (the agent's) */
    static ByteBuffer encodeOpen(int id, CallerStream caller, boolean end, int maxHeadSize) {
        try {
            ByteBuffer open = FrameCodec.encode(new Frame.Open(id, caller.kind(), caller.head(), end));
            return open.remaining() - FrameCodec.HEADER_SIZE > maxHeadSize ? null : open;
        } catch (IllegalArgumentException e) {
            return null; // a single header value over 64 KiB
        }
    }

    @Override
    public int id() {
        return id;
    }

    // ------------------------------------------------------------ caller side (any thread)

    @Override
    public int sendCredit() {
        synchronized (session) {
            return closed || localEnded ? 0 : sendWindow.available();
        }
    }

    @Override
    public int maxFramePayload() {
        return maxFramePayload;
    }

    @Override
    public boolean socketWritable() {
        return out.writable();
    }

    @Override
    public void whenSocketWritable(Runnable r) {
        out.whenWritable(r);
    }

    @Override
    public void sendData(ByteBuffer data, boolean end) {
        boolean freed = false;
        synchronized (session) {
            if (closed || localEnded) {
                return;
            }
            sendWindow.consume(data.remaining());
            out.send(FrameCodec.encodeData(id, data, end), null);
            if (end) {
                localEnded = true;
                freed = closeIfDone();
            }
        }
        if (freed) {
            session.slotFreed();
        }
    }

    @Override
    public void consumed(int bytes) {
        if (bytes <= 0) {
            return;
        }
        synchronized (session) {
            if (closed || remoteEnded) {
                return;
            }
            int increment = recvWindow.consumed(id, bytes, System.nanoTime(), session.rttNanos());
            out.send(FrameCodec.encode(new Frame.WindowUpdate(id, increment)), null);
        }
    }

    @Override
    public void reset(ErrorCode code, String reason) {
        synchronized (session) {
            if (closed) {
                return;
            }
            resetLocked(code, reason);
        }
        session.slotFreed();
    }

    /** With the session's monitor held, on a stream not closed yet. */
    private void resetLocked(ErrorCode code, String reason) {
        closed = true;
        out.send(FrameCodec.encode(new Frame.Reset(id, code, reason)), null); // before a close forget() may queue
        session.forget(this);
    }

    // ------------------------------------------------------------ agent side (socket IO thread)

    /**
     * A REPLY whose body breaks its Content-Length (an END_STREAM before the announced bytes, more
     * bytes, an unparsable value) resets the stream (PROTOCOL_ERROR) and gets the caller a 502: its
     * head has not been sent. Only a REPLY announcing no body (Content-Length 0, HEAD, 204, 304) that
     * carries bytes still reaches the caller, without them: that response is complete.
     *
     * @return true if the stream is now closed (a slot freed)
     */
    boolean onReply(Frame.Reply r) {
        boolean done;
        String wrong;
        boolean noBody;
        synchronized (session) {
            if (closed) {
                return false;
            }
            if (replied) {
                throw ProtocolException.stream(ErrorCode.PROTOCOL_ERROR, id, "second REPLY");
            }
            replied = true;
            if (r.hasBody()) {
                recvWindow.receive(id, r.body().remaining()); // as a DATA frame right after the REPLY
            }
            body = expectedBody(r.head());
            noBody = body.complete();
            wrong = body.receive(r.body().remaining(), r.endStream());
            if (wrong != null) {
                resetLocked(ErrorCode.PROTOCOL_ERROR, wrong);
                done = true;
            } else {
                remoteEnded = r.endStream();
                done = closeIfDone();
            }
        }
        if (wrong != null) {
            log.info("tunnel {} agent {}: stream {} reset: PROTOCOL_ERROR REPLY {}: {}", session.tokenId(),
                    session.remoteAddress(), id, r.head().status(), wrong);
            if (noBody) {
                caller.onReply(r.head(), true);
            } else {
                caller.fail(502, brokenReplyText(r.head().status(), body, r.body().remaining()));
            }
        } else if (r.hasBody()) {
            caller.onReply(r.head(), false);
            caller.onData(r.body(), r.endStream());
        } else {
            caller.onReply(r.head(), r.endStream());
        }
        return done;
    }

    /** The response body the REPLY announces: Content-Length counts for HTTP responses and WebSocket refusals. */
    private BodyLength expectedBody(ResponseHead head) {
        StreamKind kind = caller.kind();
        if (kind == StreamKind.HTTP || (kind == StreamKind.WEBSOCKET && head.status() != 101)) {
            return BodyLength.ofResponse(caller.head().method(), head.status(), head.headers());
        }
        return BodyLength.unchecked();
    }

    /** The caller's 502 text for a REPLY refused with {@code sent} body bytes of its own (README, status codes). */
    static String brokenReplyText(int status, BodyLength body, int sent) {
        if (body.invalid()) {
            return "Agent answered " + status + " with an invalid Content-Length";
        }
        String announced = "Agent answered " + status + " with Content-Length " + body.announced();
        if (sent > body.announced()) {
            return announced + " but sent more";
        }
        return announced + " but ended the stream" + (sent == 0 ? "" : " after " + sent + " bytes");
    }

    /**
     * DATA that breaks the REPLY's Content-Length resets the stream (PROTOCOL_ERROR) and none of it
     * reaches the caller. If every announced byte had arrived, the caller's response is complete: it
     * ends as if END_STREAM had come; otherwise the caller is told of the reset (a broken response).
     *
     * @return true if the stream is now closed (a slot freed)
     */
    boolean onData(Frame.Data d) {
        boolean done;
        String wrong;
        boolean wasComplete;
        synchronized (session) {
            if (closed) {
                return false;
            }
            if (!replied) {
                throw ProtocolException.stream(ErrorCode.PROTOCOL_ERROR, id, "DATA before REPLY");
            }
            if (remoteEnded) {
                throw ProtocolException.stream(ErrorCode.STREAM_CLOSED, id, "DATA after END_STREAM");
            }
            recvWindow.receive(id, d.length());
            wasComplete = body.complete();
            wrong = body.receive(d.length(), d.endStream());
            if (wrong != null) {
                resetLocked(ErrorCode.PROTOCOL_ERROR, wrong);
                done = true;
            } else {
                remoteEnded = d.endStream();
                done = closeIfDone();
            }
        }
        if (wrong == null) {
            caller.onData(d.payload(), d.endStream());
            return done;
        }
        log.info("tunnel {} agent {}: stream {} reset: PROTOCOL_ERROR {}{}", session.tokenId(), session.remoteAddress(),
                id, wrong, wasComplete ? " (the response was complete)" : "");
        if (wasComplete) {
            caller.onData(EMPTY.duplicate(), true);
        } else {
            caller.onReset(ErrorCode.PROTOCOL_ERROR, wrong, false);
        }
        return done;
    }

    void onWindowUpdate(int increment) {
        synchronized (session) {
            if (closed || localEnded) {
                return;
            }
            sendWindow.credit(id, increment);
        }
        caller.onWritable();
    }

    /** Called with the session's monitor held when the stream is forgotten: its window growth is returned. */
    void released() {
        recvWindow.release();
    }

    private boolean closeIfDone() {
        if (localEnded && remoteEnded && !closed) {
            closed = true;
            session.forget(this);
            return true;
        }
        return false;
    }
}
