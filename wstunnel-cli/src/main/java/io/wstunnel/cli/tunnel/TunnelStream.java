package io.wstunnel.cli.tunnel;

import io.wstunnel.protocol.BodyLength;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.FlowWindow;
import io.wstunnel.protocol.ReceiveWindow;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.ProtocolException;
import io.wstunnel.protocol.ResponseHead;
import java.nio.ByteBuffer;

/**
 * The tunnel side of one server-opened stream: direction states and both flow windows.
 *
 * <p>Lock order: local handler locks → this → {@link FrameWriter}. Nothing calls the handler while
 * holding this lock. Invariants: DATA is only sent after REPLY and within {@code sendWindow}; the
 * bytes the server may have in flight toward us never exceed our INITIAL_WINDOW, because credit is
 * given back only for bytes reported {@link #consumed}.
 */
public final class TunnelStream implements ExchangeStream {
    private final int id;
    private final TunnelSession session;
    private final FrameWriter writer;
    private final int peerMaxFrame;
    private final int peerMaxHead;
    private final boolean peerReplyBody;
    private final int creditBatch;
    private final FlowWindow sendWindow;
    private final ReceiveWindow recvWindow;
    /** The request body as the OPEN's Content-Length announced it: DATA past it or short of it resets the stream. */
    private final BodyLength requestBody;
    private StreamHandler handler;
    private boolean replySent;
    private boolean localEnded;
    private boolean remoteEnded;
    private boolean reset;
    /** An abort that came before the handler was attached: delivered to it by {@link #attach}. */
    private ErrorCode earlyAbortCode;
    private String earlyAbortReason;
    private int unacknowledged;

    TunnelStream(int id, TunnelSession session, FrameWriter writer, int peerInitialWindow, int peerMaxFrame,
            int peerMaxHead, boolean peerReplyBody, int ourInitialWindow, ReceiveWindow recvWindow, boolean remoteEnded,
            BodyLength requestBody) {
        this.id = id;
        this.peerMaxHead = peerMaxHead;
        this.peerReplyBody = peerReplyBody;
        this.session = session;
        this.writer = writer;
        this.peerMaxFrame = peerMaxFrame;
        this.creditBatch = Math.max(1, ourInitialWindow / 2);
        this.sendWindow = new FlowWindow(peerInitialWindow);
        this.recvWindow = recvWindow;
        this.remoteEnded = remoteEnded;
        this.requestBody = requestBody;
    }

    public int id() {
        return id;
    }

    /** The stream is gone from its session: its window growth goes back to the tunnel. */
    synchronized void released() {
        recvWindow.release();
    }

    /**
     * Gives the stream its local handler. The session starts the handler (and so the local request)
     * before attaching it, and the tunnel can be lost meanwhile on another thread: such an abort is
     * handed to the handler here, so the local request is still cancelled.
     */
    void attach(StreamHandler h) {
        ErrorCode code;
        String reason;
        synchronized (this) {
            this.handler = h;
            code = earlyAbortCode;
            reason = earlyAbortReason;
        }
        if (code != null) {
            h.onReset(code, reason);
        }
    }

    public synchronized boolean isClosed() {
        return reset || (localEnded && remoteEnded);
    }

    // ------------------------------------------------------------ local side → server

    /**
     * @return whether {@code head} can be sent: a REPLY above the server's MAX_HEAD_SIZE would be a
     *         connection error that kills every stream of the tunnel
     */
    public boolean fits(ResponseHead head) {
        try {
            return FrameCodec.encode(new Frame.Reply(id, head, false)).remaining() - FrameCodec.HEADER_SIZE <= peerMaxHead;
        } catch (IllegalArgumentException e) {
            return false; // a string longer than 65535 bytes
        }
    }

    /** Sends the response head; {@code endStream}: no body follows. */
    public void reply(ResponseHead head, boolean endStream) {
        boolean closed;
        synchronized (this) {
            if (reset || replySent) {
                return;
            }
            replySent = true;
            localEnded = endStream;
            writer.send(new Frame.Reply(id, head, endStream));
            closed = localEnded && remoteEnded;
        }
        if (closed) {
            session.streamClosed(this);
        }
    }

    @Override
    public boolean replyWithBody(ResponseHead head, ByteBuffer body, boolean endStream) {
        boolean closed;
        synchronized (this) {
            int n = body.remaining();
            if (!peerReplyBody || reset || replySent || n > sendWindow.available() || !writer.hasRoom()) {
                return false;
            }
            ByteBuffer frame;
            try {
                frame = FrameCodec.encode(new Frame.Reply(id, head, endStream, body));
            } catch (IllegalArgumentException e) {
                return false;
            }
            if (frame.remaining() - FrameCodec.HEADER_SIZE > peerMaxHead) {
                return false;
            }
            sendWindow.consume(n);
            replySent = true;
            localEnded = endStream;
            writer.enqueue(frame);
            closed = localEnded && remoteEnded;
        }
        if (closed) {
            session.streamClosed(this);
        }
        return true;
    }

    /** Bytes of DATA that may be sent now: 0 when the window is empty, the writer is full or the stream is done. */
    public synchronized int sendCredit() {
        if (reset || localEnded || !replySent || !writer.hasRoom()) {
            return 0;
        }
        return sendWindow.available();
    }

    /** Bytes the server's window for this stream allows now, whether or not the REPLY has been sent. */
    public synchronized int windowAvailable() {
        return sendWindow.available();
    }

    /** True when {@link #sendCredit()} is 0 only because the server has not granted more window. */
    public synchronized boolean windowExhausted() {
        return sendWindow.available() == 0;
    }

    /**
     * Sends body bytes, split into frames of at most the server's MAX_FRAME_PAYLOAD. When at least
     * {@link FrameCodec#HEADER_SIZE} bytes precede {@code chunk}'s position and it fits one frame,
     * the frame header is written there and the bytes are sent without a copy (the bytes before the
     * position are overwritten: they must be spare).
     *
     * @throws IllegalStateException if {@code chunk} exceeds the window (a caller bug)
     */
    public void data(ByteBuffer chunk, boolean endStream) {
        boolean closed;
        synchronized (this) {
            if (reset || localEnded || !replySent) {
                return;
            }
            sendWindow.consume(chunk.remaining());
            if (chunk.remaining() <= peerMaxFrame && chunk.position() >= FrameCodec.HEADER_SIZE && !chunk.isReadOnly()) {
                // the producer left room for the header before the bytes (ResponseRelay does): no copy
                writer.enqueue(FrameCodec.encodeDataInPlace(id, chunk, endStream));
            } else do {
                int n = Math.min(chunk.remaining(), peerMaxFrame);
                ByteBuffer part = chunk.slice();
                part.limit(n);
                chunk.position(chunk.position() + n);
                boolean last = endStream && !chunk.hasRemaining();
                writer.enqueue(FrameCodec.encodeData(id, part, last));
            } while (chunk.hasRemaining());
            localEnded = endStream;
            closed = localEnded && remoteEnded;
        }
        if (closed) {
            session.streamClosed(this);
        }
    }

    /** {@code n} request body bytes were passed to the local service: give credit back in batches. */
    public void consumed(int n) {
        synchronized (this) {
            if (n <= 0 || reset || remoteEnded) {
                return;
            }
            unacknowledged += n;
            if (unacknowledged < creditBatch) {
                return;
            }
            writer.send(new Frame.WindowUpdate(id,
                    recvWindow.consumed(id, unacknowledged, System.nanoTime(), session.rttNanos())));
            unacknowledged = 0;
        }
    }

    /** Aborts the stream from our side (RESET to the server). */
    public void reset(ErrorCode code, String reason) {
        synchronized (this) {
            if (reset || (localEnded && remoteEnded)) {
                return;
            }
            reset = true;
            writer.send(new Frame.Reset(id, code, reason));
        }
        session.streamClosed(this);
    }

    /** Runs {@code r} when the tunnel writer has room again. */
    public void whenWritable(Runnable r) {
        writer.whenWritable(r);
    }

    // ------------------------------------------------------------ server → local side (reader thread)

    void receiveData(Frame.Data d) {
        StreamHandler h;
        boolean closed;
        synchronized (this) {
            if (reset) {
                return;
            }
            if (remoteEnded) {
                throw ProtocolException.stream(ErrorCode.STREAM_CLOSED, id, "DATA after END_STREAM");
            }
            recvWindow.receive(id, d.length());
            String wrong = requestBody.receive(d.length(), d.endStream());
            if (wrong != null) {
                // none of it reaches the local side; the reset aborts the local request (RESET sent)
                throw ProtocolException.stream(ErrorCode.PROTOCOL_ERROR, id, wrong);
            }
            remoteEnded = d.endStream();
            closed = localEnded && remoteEnded;
            h = handler;
        }
        if (h != null) {
            h.onData(d.payload(), d.endStream());
        }
        if (closed) {
            session.streamClosed(this);
        }
    }

    void receiveCredit(int increment) {
        StreamHandler h;
        synchronized (this) {
            if (reset || localEnded) {
                return;
            }
            sendWindow.credit(id, increment);
            h = handler;
        }
        if (h != null) {
            h.onWindowUpdate();
        }
    }

    /** RESET from the server, a stream error we detected, or the tunnel going away. */
    void abort(ErrorCode code, String reason, boolean sendReset) {
        StreamHandler h;
        synchronized (this) {
            if (reset) {
                return;
            }
            reset = true;
            if (sendReset) {
                writer.send(new Frame.Reset(id, code, reason));
            }
            h = handler;
            if (h == null) {
                earlyAbortCode = code;
                earlyAbortReason = reason;
            }
        }
        session.streamClosed(this);
        if (h != null) {
            h.onReset(code, reason);
        }
    }
}
