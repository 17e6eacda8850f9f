package io.wstunnel.protocol;

/**
 * What a peer announces in its HELLO frame: limits on what it is willing to RECEIVE.
 *
 * @param initialWindow       bytes of DATA the other side may send on each stream before credit
 * @param maxConcurrentStreams streams the other side may have open toward this peer at once
 * @param maxFramePayload     largest DATA payload this peer accepts
 * @param maxHeadSize         largest encoded OPEN/REPLY payload this peer accepts
 * @param replyBody           this peer accepts REPLY frames carrying the first body bytes (BODY flag)
 */
public record Settings(int initialWindow, int maxConcurrentStreams, int maxFramePayload, int maxHeadSize,
                       boolean replyBody) {
    public static final int ID_INITIAL_WINDOW = 0x1;
    public static final int ID_MAX_CONCURRENT_STREAMS = 0x2;
    public static final int ID_MAX_FRAME_PAYLOAD = 0x3;
    public static final int ID_MAX_HEAD_SIZE = 0x4;
    public static final int ID_REPLY_BODY = 0x5;

    public static final int MIN_FRAME_PAYLOAD = 1024;
    public static final int MAX_FRAME_PAYLOAD = 16 * 1024 * 1024;
    public static final int MIN_HEAD_SIZE = 1024;
    public static final int MAX_WINDOW = Integer.MAX_VALUE;

    /** Defaults: 256 KiB per-stream window, 256 streams, 64 KiB frames, 64 KiB heads. */
    public static final Settings DEFAULT = new Settings(256 * 1024, 256, 64 * 1024, 64 * 1024);

    /** Settings without the REPLY_BODY capability. */
    public Settings(int initialWindow, int maxConcurrentStreams, int maxFramePayload, int maxHeadSize) {
        this(initialWindow, maxConcurrentStreams, maxFramePayload, maxHeadSize, false);
    }

    public Settings withReplyBody(boolean accepted) {
        return new Settings(initialWindow, maxConcurrentStreams, maxFramePayload, maxHeadSize, accepted);
    }

    public Settings {
        if (initialWindow < 1) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "initial window must be positive");
        }
        if (maxConcurrentStreams < 1) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "max concurrent streams must be positive");
        }
        if (maxFramePayload < MIN_FRAME_PAYLOAD || maxFramePayload > MAX_FRAME_PAYLOAD) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    "max frame payload must be in " + MIN_FRAME_PAYLOAD + ".." + MAX_FRAME_PAYLOAD);
        }
        if (maxHeadSize < MIN_HEAD_SIZE || maxHeadSize > MAX_FRAME_PAYLOAD) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    "max head size must be in " + MIN_HEAD_SIZE + ".." + MAX_FRAME_PAYLOAD);
        }
    }

    /**
     * The largest whole frame (header included) this peer accepts, i.e. the largest WebSocket
     * message it must be ready to receive: a DATA payload, a head, or a control frame (HELLO,
     * WINDOW_UPDATE, RESET, GOAWAY: up to {@link FrameCodec#MAX_CONTROL_PAYLOAD}), whichever is
     * largest.
     */
    public int maxFrameSize() {
        return FrameCodec.HEADER_SIZE + Math.max(FrameCodec.MAX_CONTROL_PAYLOAD, Math.max(maxFramePayload, maxHeadSize));
    }
}
