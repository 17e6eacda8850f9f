package io.wstunnel.srv.legacy;

import io.undertow.websockets.core.StreamSinkFrameChannel;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSocketFrameType;
import io.undertow.websockets.core.WebSockets;
import io.wstunnel.protocol.legacy.LegacyWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending half of a {@link LegacySession}: writes request messages into the socket's single
 * outbound message slot, one request at a time in FIFO order.
 *
 * <p>A request without a body holds the slot only while its head is written. A request with a body
 * holds it while its body streams in from the caller (written as WebSocket fragments as it arrives,
 * at most {@link LegacySession#SEND_BUFFER} bytes buffered). If that upload makes no progress for
 * {@code uploadStall} while other requests wait, its message is cut short after the head (the agent
 * sees a truncated body, never an unparsable head) and its caller gets 408; in any case the
 * caller's own deadline (-httptimeout) ends it.
 *
 * <p>Threads: IO thread only; the fields below are the IO thread's. It has no lock of its own: the
 * request table and the streams' buffers it touches are guarded by the session's monitor, which it
 * takes for them.
 */
final class LegacySender {
    private static final Logger log = LoggerFactory.getLogger(LegacySender.class);

    private final LegacySession session;
    private final LegacyRequests requests;
    private final WebSocketChannel channel;
    private final long uploadStallNanos;

    // IO thread
    /** The request holding the slot, or null while it is free. */
    private LegacyStream current;
    private StreamSinkFrameChannel sink;
    private boolean sinkShutdown;
    private boolean flushPending;
    private boolean wholeMessageInFlight;

    LegacySender(LegacySession session, LegacyRequests requests, WebSocketChannel channel, long uploadStallNanos) {
        this.session = session;
        this.requests = requests;
        this.channel = channel;
        this.uploadStallNanos = uploadStallNanos;
    }

    /** IO thread. @return the request holding the slot, or null */
    LegacyStream current() {
        return current;
    }

    /** IO thread. Writes what can be written and hands the free slot to the next waiting request. */
    void pump() {
        while (true) {
            if (wholeMessageInFlight) {
                return;
            }
            LegacyStream s = current;
            if (s == null) {
                s = session.nextToSend();
                if (s == null) {
                    return;
                }
                current = s;
                if (s.framing == LegacyWriter.BodyFraming.NONE) {
                    sendWhole(s);
                    return;
                }
                try {
                    sink = channel.send(WebSocketFrameType.BINARY);
                } catch (IOException e) {
                    sendFailed(e);
                    return;
                }
                sinkShutdown = false;
                flushPending = false;
                sink.getWriteSetter().set(ch -> pump());
                s.caller.onWritable(); // it has credit now
            }
            if (!writeQueued(s)) {
                return;
            }
            s = current;
            if (s == null) {
                continue;
            }
            return;
        }
    }

    /** IO thread, each tick: cuts the upload holding the slot if it stalled while other requests wait. */
    void cutStalledUpload(long now) {
        LegacyStream s = current;
        boolean stalled = false;
        int waiting = 0;
        if (s != null) {
            synchronized (session) {
                if (!s.bodyEnded && requests.waitingCount() > 0 && now - s.lastProgressNanos > uploadStallNanos) {
                    stalled = true;
                    requests.abortUpload(s);
                    session.forget(s);
                    waiting = requests.waitingCount();
                }
            }
        }
        if (stalled) {
            log.info("tunnel {} legacy agent {}: upload of {} stalled while {} requests waited; cut",
                    session.tokenId(), session.remoteAddress(), s.caller.requestId(), waiting);
            s.caller.fail(408, "Request body too slow: a legacy wstunnel agent takes one upload at a time and this one stalled");
            pump();
        }
    }

    /** A request without body: its message is its head, sent in one go. */
    private void sendWhole(LegacyStream s) {
        ByteBuffer msg;
        synchronized (session) {
            msg = s.takeWhole();
        }
        wholeMessageInFlight = true;
        WebSockets.sendBinary(msg == null ? LegacySession.EMPTY : msg, channel, new WebSocketCallback<Void>() {
            @Override
            public void complete(WebSocketChannel ch, Void context) {
                wholeMessageInFlight = false;
                messageSent(s);
                pump();
            }

            @Override
            public void onError(WebSocketChannel ch, Void context, Throwable throwable) {
                wholeMessageInFlight = false;
                sendFailed(throwable);
            }
        });
    }

    /**
     * Writes what {@code s} has queued into the open message.
     *
     * @return true if the message is complete and the slot is free again
     */
    private boolean writeQueued(LegacyStream s) {
        StreamSinkFrameChannel out = sink;
        boolean freed = false;
        try {
            while (true) {
                ByteBuffer b;
                synchronized (session) {
                    b = s.nextOut();
                }
                if (b == null) {
                    break;
                }
                int before = b.remaining();
                out.write(b);
                int wrote = before - b.remaining();
                synchronized (session) {
                    s.wrote(b, wrote);
                }
                freed |= wrote > 0;
                if (b.hasRemaining()) {
                    out.resumeWrites();
                    if (freed) {
                        s.caller.onWritable();
                    }
                    return false;
                }
            }
            boolean ended;
            synchronized (session) {
                ended = s.messageComplete();
            }
            if (!ended) {
                // Push what the caller gave so far as a fragment: the agent sees the request as it arrives.
                if (freed || flushPending) {
                    flushPending = !out.flush();
                }
                if (flushPending) {
                    out.resumeWrites();
                } else {
                    out.suspendWrites();
                }
                if (freed) {
                    s.caller.onWritable();
                }
                return false;
            }
            if (!sinkShutdown) {
                sinkShutdown = true;
                out.shutdownWrites();
            }
            if (!out.flush()) {
                out.resumeWrites();
                return false;
            }
        } catch (IOException e) {
            sendFailed(e);
            return false;
        }
        out.getWriteSetter().set(null);
        sink = null;
        messageSent(s);
        return true;
    }

    /** Its whole message is on the socket: the slot is free. */
    private void messageSent(LegacyStream s) {
        synchronized (session) {
            if (current == s) {
                current = null;
            }
            requests.sent(s);
        }
    }

    private void sendFailed(Throwable t) {
        log.info("tunnel {} legacy agent {}: send failed: {}", session.tokenId(), session.remoteAddress(), t.toString());
        session.drop("send failed");
    }
}
