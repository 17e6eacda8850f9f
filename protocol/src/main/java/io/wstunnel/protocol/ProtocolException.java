package io.wstunnel.protocol;

/**
 * A violation of the tunnel protocol. Connection-level violations end the WebSocket with
 * {@link ErrorCode#closeCode()}; stream-level ones ({@link #streamId()} != 0 and
 * {@link #streamLevel()}) reset only that stream.
 */
public final class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;
    private final int streamId;
    private final boolean streamLevel;

    private ProtocolException(ErrorCode code, int streamId, boolean streamLevel, String message) {
        super(message);
        this.code = code;
        this.streamId = streamId;
        this.streamLevel = streamLevel;
    }

    public static ProtocolException connection(ErrorCode code, String message) {
        return new ProtocolException(code, 0, false, message);
    }

    public static ProtocolException stream(ErrorCode code, int streamId, String message) {
        return new ProtocolException(code, streamId, true, message);
    }

    public ErrorCode code() {
        return code;
    }

    public int streamId() {
        return streamId;
    }

    public boolean streamLevel() {
        return streamLevel;
    }
}
