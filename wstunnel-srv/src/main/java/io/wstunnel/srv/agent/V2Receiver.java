package io.wstunnel.srv.agent;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.FrameType;
import io.wstunnel.protocol.ProtocolException;
import io.wstunnel.protocol.Settings;
import io.wstunnel.srv.ws.RawWebSocket;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound side of a {@link V2Session}, on the socket's IO thread: decodes each agent message,
 * charges frames without progress to the {@link FrameBudget}, and hands every frame to its stream or
 * to the session, which makes all state transitions. It keeps no state and takes no lock of its own.
 * A {@link ProtocolException} thrown on the way resets its stream when stream-level; otherwise it
 * goes to {@link V2Session#protocolFailure}, where it becomes a GOAWAY and a close code. It logs
 * under the session's logger.
 */
final class V2Receiver implements RawWebSocket.Handler {
    private static final Logger log = LoggerFactory.getLogger(V2Session.class);

    private final V2Session session;
    private final Settings local;
    private final FrameBudget budget;
    private final KeepAlive keepAlive;

    /** @param local the settings this server sent in its HELLO, which frames are decoded against */
    V2Receiver(V2Session session, Settings local, FrameBudget budget, KeepAlive keepAlive) {
        this.session = session;
        this.local = local;
        this.budget = budget;
        this.keepAlive = keepAlive;
    }

    @Override
    public void onBinary(ByteBuffer message) {
        keepAlive.received();
        onMessage(message);
    }

    @Override
    public void onText() {
        log.warn("tunnel {} agent {}: text message on a wstunnel.v2 socket; closing", session.tokenId(),
                session.remoteAddress());
        session.closeWith(1003, "text messages are not part of wstunnel.v2");
    }

    @Override
    public void onPing() {
        keepAlive.received(); // answered unless FrameBudget.charge() refuses
    }

    @Override
    public void onPong() {
        keepAlive.pongReceived();
    }

    @Override
    public void onClosed(String why) {
        session.closed(why);
    }

    private void onMessage(ByteBuffer message) {
        int type = message.hasRemaining() ? message.get(message.position()) & 0xFF : -1;
        try {
            Frame f;
            try {
                f = FrameCodec.decode(message, local);
            } catch (ProtocolException e) {
                if (!e.streamLevel()) {
                    throw e;
                }
                onStreamLevelDecodeError(type == FrameType.OPEN.code(), e);
                return;
            }
            if (FrameBudget.costsWithoutProgress(f, id -> session.stream(id) != null) && !budget.charge()) {
                return;
            }
            if (log.isTraceEnabled()) {
                log.trace("tunnel {} agent {}: received {} stream {}", session.tokenId(), session.remoteAddress(),
                        f.type(), f.streamId());
            }
            dispatch(f);
        } catch (ProtocolException e) {
            if (e.streamLevel()) {
                resetStream(e.streamId(), e.code(), e.getMessage()); // a rule of a live stream (V2Stream)
            } else {
                session.protocolFailure(e);
            }
        }
    }

    /**
     * A frame whose layout is valid but breaks a stream-level rule (PROTOCOL.md §2: unknown OPEN kind,
     * empty method, REPLY status out of range). It is treated as the well-formed frame of its type
     * would be, and charged the same: an OPEN obeys the agent's id rules and uses its id up, then is
     * reset; a REPLY resets the named stream when it is live and is otherwise a frame without progress.
     */
    private void onStreamLevelDecodeError(boolean open, ProtocolException e) {
        int id = e.streamId();
        if ((open || session.stream(id) == null) && !budget.charge()) {
            return;
        }
        session.requireHello(open ? FrameType.OPEN : FrameType.REPLY);
        if (open) {
            session.agentOpened(id, e.code(), e.getMessage());
        } else {
            resetStream(id, e.code(), e.getMessage());
        }
    }

    /**
     * Stream-level failure detected locally on a live stream: RESET it and tell its caller. Nothing is
     * sent for a stream that is already gone (its RESET or end was sent then).
     */
    private void resetStream(int id, ErrorCode code, String reason) {
        V2Stream s = session.reset(id, code, reason);
        if (s == null) {
            return;
        }
        log.warn("tunnel {} agent {}: stream {} reset: {} {}", session.tokenId(), session.remoteAddress(), id, code, reason);
        s.caller.onReset(code, reason, false);
        session.slotFreed();
    }

    private void dispatch(Frame f) {
        if (f instanceof Frame.Hello h) {
            session.onHello(h.settings());
            return;
        }
        session.requireHello(f.type());
        V2Stream s;
        if (f instanceof Frame.Data d) {
            s = session.stream(d.streamId());
            if (s != null && s.onData(d)) {
                session.slotFreed();
            }
        } else if (f instanceof Frame.WindowUpdate w) {
            s = session.stream(w.streamId());
            if (s != null) {
                s.onWindowUpdate(w.increment());
            }
        } else if (f instanceof Frame.Reply r) {
            s = session.stream(r.streamId());
            if (s != null && s.onReply(r)) {
                session.slotFreed();
            }
        } else if (f instanceof Frame.Reset r) {
            s = session.remove(r.streamId());
            if (s != null) {
                log.debug("tunnel {} agent {}: stream {} reset by agent: {} {}", session.tokenId(), session.remoteAddress(),
                        r.streamId(), r.code(), r.reason());
                s.caller.onReset(r.code(), r.reason(), r.code() == ErrorCode.REFUSED_STREAM);
                session.slotFreed();
            }
        } else if (f instanceof Frame.GoAway g) {
            session.onGoAway(g);
        } else if (f instanceof Frame.Open o) {
            session.agentOpened(o.streamId(), ErrorCode.REFUSED_STREAM, "agent-initiated streams are not supported");
        } else {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "unexpected " + f.type());
        }
    }
}
