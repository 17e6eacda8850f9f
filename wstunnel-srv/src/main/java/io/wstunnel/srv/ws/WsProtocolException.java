package io.wstunnel.srv.ws;

/** A peer broke RFC 6455; {@link #closeCode()} is the status to close the connection with. */
public final class WsProtocolException extends RuntimeException {
    private final int closeCode;

    public WsProtocolException(int closeCode, String message) {
        super(message, null, false, false);
        this.closeCode = closeCode;
    }

    public int closeCode() {
        return closeCode;
    }
}
