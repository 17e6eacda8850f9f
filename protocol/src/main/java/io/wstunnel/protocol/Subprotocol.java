package io.wstunnel.protocol;

/** WebSocket subprotocol names by which the framing is negotiated. */
public final class Subprotocol {
    /** The multiplexed, flow-controlled framing of PROTOCOL.md. */
    public static final String V2 = "wstunnel.v2";

    private Subprotocol() {
    }
}
