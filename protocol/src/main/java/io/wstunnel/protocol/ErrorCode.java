package io.wstunnel.protocol;

/**
 * Error codes carried by RESET and GOAWAY frames, and the single place where a connection-level
 * protocol error is mapped to a WebSocket close code.
 */
public enum ErrorCode {
    NO_ERROR(0x0, 1000),
    PROTOCOL_ERROR(0x1, 1002),
    INTERNAL_ERROR(0x2, 1011),
    FLOW_CONTROL_ERROR(0x3, 1002),
    STREAM_CLOSED(0x5, 1002),
    FRAME_TOO_LARGE(0x6, 1009),
    /** The stream was not processed at all: the opener may safely send it again. */
    REFUSED_STREAM(0x7, 1011),
    /** The stream is no longer wanted (caller went away, timeout). */
    CANCEL(0x8, 1000),
    /** The receiver could not reach the target it was asked to contact. */
    CONNECT_ERROR(0xa, 1011),
    /** The target failed after the response had started: the body is incomplete. */
    UPSTREAM_ERROR(0x10, 1011),
    /** The peer is shutting down. */
    GOING_AWAY(0x11, 1001),
    /** A policy (authentication, limits) refuses the peer. */
    POLICY_VIOLATION(0x12, 1008);

    private final int code;
    private final int closeCode;

    ErrorCode(int code, int closeCode) {
        this.code = code;
        this.closeCode = closeCode;
    }

    /** The 32-bit value on the wire. */
    public int code() {
        return code;
    }

    /** The WebSocket close code used when this error ends the whole connection. */
    public int closeCode() {
        return closeCode;
    }

    /** Unknown codes decode as INTERNAL_ERROR, as the spec requires of receivers. */
    public static ErrorCode fromCode(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return INTERNAL_ERROR;
    }
}
