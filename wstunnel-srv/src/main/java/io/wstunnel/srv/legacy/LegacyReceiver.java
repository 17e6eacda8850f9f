package io.wstunnel.srv.legacy;

import io.undertow.util.StatusCodes;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.StreamSourceFrameChannel;
import io.undertow.websockets.core.WebSocketChannel;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.legacy.LegacyMessageParser;
import io.wstunnel.protocol.legacy.LegacyProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving half of a {@link LegacySession}: the socket's receive listener. Response messages
 * are parsed incrementally as fragments arrive and streamed to the caller. The legacy agent has no
 * flow control, so the socket stops reading while the caller of the response in transit has more
 * than the receive window unconsumed: one slow caller can hold this socket's responses, never other
 * sockets'. A text message, a bad id or a read error drops the socket; a response that cannot be
 * parsed fails its own request only.
 *
 * <p>Threads: IO thread only; the fields below are the IO thread's. It has no lock of its own: the
 * request table it looks replies up in is guarded by the session's monitor, which it takes for that.
 */
final class LegacyReceiver extends AbstractReceiveListener {
    private static final Logger log = LoggerFactory.getLogger(LegacyReceiver.class);

    private final LegacySession session;
    private final LegacyRequests requests;
    private final int receiveWindow;

    // IO thread: the response message in transit
    private StreamSourceFrameChannel rx;
    private LegacyMessageParser parser;
    /** The request it answers; null if unknown, answered already or dropped by its caller. */
    private LegacyStream rxStream;
    private ResponseHead pendingHead;
    private boolean headDelivered;
    /** The rest of the message is read and dropped. */
    private boolean rxSkip;
    private boolean rxPaused;
    private final ByteBuffer rxBuf = ByteBuffer.allocate(16 * 1024);

    private volatile long lastAliveNanos = System.nanoTime();

    LegacyReceiver(LegacySession session, LegacyRequests requests, int receiveWindow) {
        this.session = session;
        this.requests = requests;
        this.receiveWindow = receiveWindow;
    }

    /** When the agent last sent anything (a message fragment or a ping). */
    long lastAliveNanos() {
        return lastAliveNanos;
    }

    // ------------------------------------------------------------------ socket events

    @Override
    protected void onBinary(WebSocketChannel ch, StreamSourceFrameChannel message) {
        lastAliveNanos = System.nanoTime();
        beginMessage(message);
    }

    @Override
    protected void onText(WebSocketChannel ch, StreamSourceFrameChannel message) {
        log.warn("tunnel {} legacy agent {}: text message; dropping the socket", session.tokenId(), session.remoteAddress());
        session.drop("text message");
    }

    @Override
    protected void onFullPingMessage(WebSocketChannel ch, BufferedBinaryMessage message) throws IOException {
        lastAliveNanos = System.nanoTime();
        super.onFullPingMessage(ch, message); // answers with a pong
    }

    @Override
    protected void onError(WebSocketChannel ch, Throwable error) {
        log.info("tunnel {} legacy agent {}: socket error: {}", session.tokenId(), session.remoteAddress(), error.toString());
        super.onError(ch, error);
        session.closed("socket error");
    }

    // ------------------------------------------------------------------ from the request side (IO thread)

    /** The caller of {@code s} consumed {@code bytes} of its response. */
    void consumed(LegacyStream s, int bytes) {
        s.unconsumed -= bytes;
        resumeIfPaused();
    }

    /** The caller of {@code s} dropped it: the rest of its response message, if in transit, is dropped. */
    void dropped(LegacyStream s) {
        if (rxStream == s) {
            rxStream = null;
            rxSkip = true;
        }
        resumeIfPaused();
    }

    // ------------------------------------------------------------------ reading a message

    private void beginMessage(StreamSourceFrameChannel ch) {
        rx = ch;
        rxStream = null;
        pendingHead = null;
        headDelivered = false;
        rxSkip = false;
        rxPaused = false;
        parser = new LegacyMessageParser(LegacyMessageParser.Kind.RESPONSE, LegacyMessageParser.DEFAULT_MAX_HEAD_SIZE,
                this::isHeadRequest, new ResponseListener());
        ch.getReadSetter().set(c -> readMessage());
        readMessage();
    }

    private boolean isHeadRequest(int id) {
        synchronized (session) {
            return requests.isHeadRequest(id);
        }
    }

    private void readMessage() {
        StreamSourceFrameChannel ch = rx;
        if (ch == null) {
            return;
        }
        try {
            while (true) {
                LegacyStream s = rxStream;
                if (s != null && !s.closed && s.unconsumed >= receiveWindow) {
                    ch.suspendReads(); // backpressure: the caller is slow; resumed by consumed()
                    rxPaused = true;
                    return;
                }
                rxBuf.clear();
                int n = ch.read(rxBuf);
                if (n < 0) {
                    ch.suspendReads();
                    endMessage();
                    return;
                }
                if (n == 0) {
                    ch.resumeReads();
                    return;
                }
                lastAliveNanos = System.nanoTime();
                rxBuf.flip();
                if (!rxSkip) {
                    try {
                        parser.feed(rxBuf);
                    } catch (LegacyProtocolException e) {
                        parseFailed(e);
                        if (rx == null) {
                            return;
                        }
                    }
                }
            }
        } catch (IOException e) {
            log.info("tunnel {} legacy agent {}: read failed: {}", session.tokenId(), session.remoteAddress(), e.toString());
            session.drop("read failed");
        }
    }

    private void resumeIfPaused() {
        if (!rxPaused) {
            return;
        }
        LegacyStream s = rxStream;
        if (s == null || s.closed || s.unconsumed < receiveWindow) {
            rxPaused = false;
            readMessage();
        }
    }

    private void endMessage() {
        rx = null;
        if (!rxSkip) {
            try {
                parser.endOfMessage();
            } catch (LegacyProtocolException e) {
                parseFailed(e);
            }
        }
        rxStream = null;
        parser = null;
        pendingHead = null;
    }

    private void parseFailed(LegacyProtocolException e) {
        rxSkip = true;
        if (e.kind() == LegacyProtocolException.Kind.BAD_ID) {
            log.warn("tunnel {} legacy agent {}: message with a bad id; dropping the socket", session.tokenId(), session.remoteAddress());
            rx = null;
            session.drop("bad id");
            return;
        }
        LegacyStream s = rxStream;
        rxStream = null;
        if (s == null) {
            log.debug("tunnel {} legacy agent {}: unparseable reply for unknown id ignored: {}", session.tokenId(),
                    session.remoteAddress(), e.getMessage());
            return;
        }
        log.warn("tunnel {} legacy agent {}: unparseable response for id {}: {}", session.tokenId(), session.remoteAddress(),
                Integer.toHexString(s.id()), e.getMessage());
        session.finish(s);
        if (!headDelivered) {
            s.caller.fail(506, ""); // the Go server answers 506 with an empty body
        } else {
            s.caller.onReset(ErrorCode.PROTOCOL_ERROR, "unparseable response from the legacy agent", false);
        }
    }

    private void deliverHead(LegacyStream s, boolean end) {
        headDelivered = true;
        ResponseHead h = pendingHead;
        pendingHead = null;
        s.caller.onReply(h, end);
    }

    /** The agent's head as the caller should see it: hop-by-hop gone, framing re-done by the server. */
    private static ResponseHead cleanHead(ResponseHead head, LegacyMessageParser.Framing framing) {
        Headers h = head.headers().withoutHopByHop();
        if (framing == LegacyMessageParser.Framing.CHUNKED || framing == LegacyMessageParser.Framing.TO_END_OF_MESSAGE) {
            h = h.without(List.of("Content-Length"));
        }
        String reason = StatusCodes.getReason(head.status());
        if (reason == null || reason.equals("Unknown")) {
            reason = "status code " + head.status(); // the Go server drops the agent's reason phrase
        }
        return new ResponseHead(head.status(), reason, h);
    }

    private final class ResponseListener implements LegacyMessageParser.Listener {
        @Override
        public void onId(int id) {
            LegacyStream s;
            synchronized (session) {
                s = requests.replyTarget(id);
            }
            if (s == null) {
                log.debug("tunnel {} legacy agent {}: reply for unknown id {} ignored", session.tokenId(), session.remoteAddress(),
                        Integer.toHexString(id));
                rxSkip = true;
                return;
            }
            rxStream = s;
        }

        @Override
        public void onResponseHead(int id, ResponseHead head, String version) {
            LegacyStream s = rxStream;
            if (s == null) {
                return;
            }
            synchronized (session) {
                requests.responding(s);
            }
            pendingHead = cleanHead(head, parser.framing());
        }

        @Override
        public void onBody(ByteBuffer chunk) {
            LegacyStream s = rxStream;
            if (s == null || s.closed) {
                return;
            }
            if (!headDelivered) {
                deliverHead(s, false);
            }
            ByteBuffer copy = ByteBuffer.allocate(chunk.remaining());
            copy.put(chunk).flip();
            s.unconsumed += copy.remaining();
            s.caller.onData(copy, false);
        }

        @Override
        public void onEnd() {
            LegacyStream s = rxStream;
            rxStream = null;
            if (s == null || s.closed) {
                return;
            }
            session.finish(s);
            if (!headDelivered) {
                deliverHead(s, true);
            } else {
                s.caller.onData(LegacySession.EMPTY.duplicate(), true);
            }
        }
    }
}
