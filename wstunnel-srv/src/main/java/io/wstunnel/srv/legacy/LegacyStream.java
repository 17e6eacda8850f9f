package io.wstunnel.srv.legacy;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.legacy.LegacyWriter;
import io.wstunnel.srv.tunnel.AgentStream;
import io.wstunnel.srv.tunnel.CallerStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * One request on a {@link LegacySession}: its request message (head + body, streamed into one
 * WebSocket message) and its response message. Fields and the message-buffer methods are guarded by
 * the session's monitor unless noted (this class has no lock of its own); the caller is notified
 * only after the monitor is released.
 */
final class LegacyStream implements AgentStream {
    /** Where the request stands. */
    enum Phase {
        /** Opened, waiting for the socket's single outbound message slot. */
        WAITING,
        /** Holds the slot: its message is being written as its body arrives. */
        SENDING,
        /** Its whole message is on the socket; waiting for the response message. */
        SENT,
        /** Its response head went to the caller; body streaming. */
        RESPONDING,
        DONE
    }

    private final LegacySession session;
    private final int id;
    final CallerStream caller;
    final boolean headRequest;
    final LegacyWriter.BodyFraming framing;
    final long contentLength;

    Phase phase = Phase.WAITING;
    /** Buffers waiting to go into the message (head first). */
    private final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    /** Bytes in {@link #out}, against {@link LegacySession#SEND_BUFFER}. */
    private int outBytes;
    /** The head buffer while it is not completely written: an aborted upload still writes it whole. */
    private ByteBuffer headBuffer;
    /** The caller sent its last body byte (or the body was cut short): nothing more goes into the message. */
    boolean bodyEnded;
    /** Message bytes accepted so far (head, chunk framing and body), against the 100 MiB agent limit. */
    private long messageBytes;
    /** Length of the head part of the message. */
    private long headLength;
    /** Last time the caller gave body bytes or the socket took some (upload stall detection). */
    long lastProgressNanos = System.nanoTime();
    /** The caller is gone or answered: nothing more is delivered to it. */
    volatile boolean closed;
    /** Response body bytes delivered to the caller and not yet reported consumed (IO thread only). */
    long unconsumed;

    LegacyStream(LegacySession session, int id, CallerStream caller, LegacyWriter.BodyFraming framing, long contentLength) {
        this.session = session;
        this.id = id;
        this.caller = caller;
        this.headRequest = "HEAD".equals(caller.head().method());
        this.framing = framing;
        this.contentLength = contentLength;
    }

    /** The request's Content-Length, or -1 if it has none or an unparsable one (its body is then sent chunked). */
    static long contentLength(Headers headers) {
        String v = headers.first("Content-Length");
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public int sendCredit() {
        return session.sendCredit(this);
    }

    @Override
    public int maxFramePayload() {
        return LegacySession.MAX_DATA;
    }

    @Override
    public boolean socketWritable() {
        return true; // sendCredit() already bounds what is buffered for this socket
    }

    @Override
    public void whenSocketWritable(Runnable r) {
        r.run();
    }

    @Override
    public void sendData(ByteBuffer data, boolean end) {
        session.sendData(this, data, end);
    }

    @Override
    public void consumed(int bytes) {
        session.consumed(this, bytes);
    }

    @Override
    public void reset(ErrorCode code, String reason) {
        session.resetByCaller(this, reason);
    }

    // ------------------------------------------------------------------ message buffer (session's monitor held)

    /** Queues the request head: the first part of the message. */
    void queueHead(ByteBuffer h) {
        headBuffer = h;
        headLength = h.remaining();
        out.add(h);
        outBytes = h.remaining();
        messageBytes = h.remaining();
    }

    /** Room left in this socket's buffer for this request's body. */
    int bufferRoom() {
        return Math.max(0, LegacySession.SEND_BUFFER - outBytes);
    }

    /**
     * Queues body bytes: chunk-framed, or cut at the declared Content-Length (never written past).
     *
     * @return false, with nothing queued, if they would take the message over the agent's limit
     */
    boolean queueBody(ByteBuffer data, boolean end) {
        ByteBuffer piece;
        if (framing == LegacyWriter.BodyFraming.CHUNKED) {
            piece = LegacyWriter.chunk(data);
        } else {
            long room = contentLength - (messageBytes - headLength);
            ByteBuffer d = data.duplicate();
            if (d.remaining() > room) {
                d.limit(d.position() + (int) Math.max(0, room)); // never write past the declared length
            }
            piece = ByteBuffer.allocate(d.remaining());
            piece.put(d).flip();
        }
        ByteBuffer last = end && framing == LegacyWriter.BodyFraming.CHUNKED ? LegacyWriter.lastChunk() : null;
        long add = piece.remaining() + (last == null ? 0 : last.remaining());
        if (messageBytes + add > LegacyWriter.MAX_MESSAGE_SIZE) {
            return false;
        }
        if (piece.hasRemaining()) {
            out.add(piece);
        }
        if (last != null) {
            out.add(last);
        }
        outBytes += (int) add;
        messageBytes += add;
        bodyEnded = end;
        lastProgressNanos = System.nanoTime();
        return true;
    }

    /**
     * Ends the body early: nothing more is queued. A request still waiting drops its message; one
     * holding the slot keeps its head queued until written whole (a truncated head would make a Go
     * agent drop the tunnel), so its message is closed after the head.
     */
    void cutBody() {
        bodyEnded = true;
        ByteBuffer keep = phase == Phase.WAITING ? null : headBuffer;
        out.clear();
        outBytes = 0;
        if (keep != null && keep.hasRemaining()) {
            out.add(keep);
            outBytes = keep.remaining();
        }
    }

    /** A request without body: takes its whole message (its head) off the queue. */
    ByteBuffer takeWhole() {
        ByteBuffer msg = out.poll();
        out.clear();
        outBytes = 0;
        headBuffer = null;
        return msg;
    }

    /** The next buffer to write into the message, or null. */
    ByteBuffer nextOut() {
        return out.peek();
    }

    /** {@code wrote} bytes of {@code b}, taken from {@link #nextOut()}, went into the message. */
    void wrote(ByteBuffer b, int wrote) {
        if (out.peek() == b) { // else an abort emptied the queue meanwhile
            outBytes -= wrote;
            if (!b.hasRemaining()) {
                out.poll();
            }
        }
        if (wrote > 0) {
            lastProgressNanos = System.nanoTime();
        }
        if (!b.hasRemaining() && b == headBuffer) {
            headBuffer = null;
        }
    }

    /** The body has ended and all of the message is written. */
    boolean messageComplete() {
        return bodyEnded && out.isEmpty();
    }

    @Override
    public String toString() {
        return "legacy request " + Integer.toHexString(id) + " (" + phase + ")";
    }
}
