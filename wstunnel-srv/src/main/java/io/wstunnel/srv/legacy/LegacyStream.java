package io.wstunnel.srv.legacy;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.legacy.LegacyWriter;
import io.wstunnel.srv.tunnel.AgentStream;
import io.wstunnel.srv.tunnel.CallerStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * One request on a {@link LegacySession}: its request message (head + body, streamed into one
 * WebSocket message) and its response message. Fields are guarded by the session's monitor unless
 * noted; the caller is notified only after the monitor is released.
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
    final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    int outBytes;
    /** The head buffer while it is not completely written: an aborted upload still writes it whole. */
    ByteBuffer headBuffer;
    /** The caller sent its last body byte (or the body was cut short): nothing more goes into the message. */
    boolean bodyEnded;
    /** Message bytes accepted so far (head, chunk framing and body), against the 100 MiB agent limit. */
    long messageBytes;
    /** Length of the head part of the message. */
    long headLength;
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

    @Override
    public String toString() {
        return "legacy request " + Integer.toHexString(id) + " (" + phase + ")";
    }
}
