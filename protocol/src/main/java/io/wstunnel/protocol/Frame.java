package io.wstunnel.protocol;

import java.nio.ByteBuffer;

/** A wstunnel.v2 frame; exactly one travels in each binary WebSocket message. */
public sealed interface Frame {

    /** Stream 0 is the connection itself. */
    int streamId();

    FrameType type();

    /** First frame in each direction: the sender's receive limits. */
    record Hello(Settings settings) implements Frame {
        @Override public int streamId() { return 0; }
        @Override public FrameType type() { return FrameType.HELLO; }
    }

    /** Opens a stream. endStream: the opener sends no body. */
    record Open(int streamId, StreamKind kind, RequestHead head, boolean endStream) implements Frame {
        @Override public FrameType type() { return FrameType.OPEN; }
    }

    /**
     * The response head, optionally with the first body bytes ({@code body} non-empty: the BODY flag).
     * endStream: no body follows (beyond {@code body}).
     */
    record Reply(int streamId, ResponseHead head, boolean endStream, ByteBuffer body) implements Frame {
        private static final ByteBuffer NONE = ByteBuffer.allocate(0).asReadOnlyBuffer();

        public Reply(int streamId, ResponseHead head, boolean endStream) {
            this(streamId, head, endStream, NONE);
        }

        public Reply {
            body = body == null ? NONE : body;
        }

        @Override public FrameType type() { return FrameType.REPLY; }

        public boolean hasBody() { return body.hasRemaining(); }
    }

    /** Body bytes; counts against the stream's flow-control window. */
    record Data(int streamId, ByteBuffer payload, boolean endStream) implements Frame {
        @Override public FrameType type() { return FrameType.DATA; }
        public int length() { return payload.remaining(); }
    }

    /** Gives the peer {@code increment} more bytes of DATA on the stream. */
    record WindowUpdate(int streamId, int increment) implements Frame {
        @Override public FrameType type() { return FrameType.WINDOW_UPDATE; }
    }

    /** Aborts both directions of a stream. */
    record Reset(int streamId, ErrorCode code, String reason) implements Frame {
        @Override public FrameType type() { return FrameType.RESET; }
    }

    /** No new streams; streams above lastStreamId were not processed and may be sent again. */
    record GoAway(int lastStreamId, ErrorCode code, String reason) implements Frame {
        @Override public int streamId() { return 0; }
        @Override public FrameType type() { return FrameType.GOAWAY; }
    }
}
