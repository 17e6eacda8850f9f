package io.wstunnel.protocol;

/** Frame types of the wstunnel.v2 framing (see PROTOCOL.md). */
public enum FrameType {
    HELLO(0x0),
    OPEN(0x1),
    REPLY(0x2),
    DATA(0x3),
    WINDOW_UPDATE(0x4),
    RESET(0x5),
    GOAWAY(0x6);

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    private static final FrameType[] BY_CODE = values();

    /** @return the type, or null for an unknown code */
    public static FrameType fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
