package io.wstunnel.cli.tunnel;

/** Life cycle of one tunnel WebSocket connection. Transitions only move forward. */
public enum SessionState {
    /** Dialing: no WebSocket yet. */
    DIALING,
    /** WebSocket open, our HELLO sent, waiting for the server's HELLO. */
    AWAIT_HELLO,
    /** HELLO exchanged: streams are accepted. */
    OPEN,
    /** GOAWAY sent or received: in-flight streams finish, new ones are refused. */
    DRAINING,
    /** Close frame sent; waiting for the socket to end. */
    CLOSING,
    /** Socket gone. Terminal. */
    CLOSED
}
