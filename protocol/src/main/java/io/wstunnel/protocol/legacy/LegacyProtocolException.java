package io.wstunnel.protocol.legacy;

/**
 * A legacy (Go wstunnel) message that cannot be parsed. The only exception the legacy parser
 * throws for bad input; {@link #id()} is the request id when it was read before the failure.
 */
public final class LegacyProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, for callers that map failures to statuses or close codes. */
    public enum Kind {
        /** The 4 hex digits of the request id are missing or not hex: the socket must be dropped. */
        BAD_ID,
        /** The head (request/status line plus headers) exceeds the configured cap. */
        HEAD_TOO_LARGE,
        /** The request line, status line or a header line is not HTTP/1.x. */
        MALFORMED_HEAD,
        /** Bad Content-Length, Transfer-Encoding or chunk framing. */
        MALFORMED_BODY,
        /** The WebSocket message ended before the HTTP message was complete. */
        TRUNCATED
    }

    private final Kind kind;
    private final int id;

    public LegacyProtocolException(Kind kind, int id, String message) {
        super(message);
        this.kind = kind;
        this.id = id;
    }

    public Kind kind() {
        return kind;
    }

    /** The request id of the message, or -1 when it could not be read. */
    public int id() {
        return id;
    }
}
