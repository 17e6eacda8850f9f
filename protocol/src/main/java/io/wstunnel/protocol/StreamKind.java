package io.wstunnel.protocol;

/** What an OPEN frame asks the receiver to do with the stream. */
public enum StreamKind {
    /** An HTTP request/response exchange. */
    HTTP(0),
    /** A WebSocket upgrade: after a 101 REPLY, DATA carries raw WebSocket bytes both ways. */
    WEBSOCKET(1),
    /** A raw TCP connection to a named target: after a 200 REPLY, DATA carries raw bytes. */
    TCP(2);

    private final int code;

    StreamKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** @return the kind, or null for an unknown code */
    public static StreamKind fromCode(int code) {
        for (StreamKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return null;
    }
}
