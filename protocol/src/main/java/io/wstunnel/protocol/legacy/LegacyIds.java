package io.wstunnel.protocol.legacy;

import java.nio.charset.StandardCharsets;

/** Legacy request ids: 4 hex digits, written lowercase, read case-insensitively. */
public final class LegacyIds {
    /** Largest id the Go server hands out before wrapping to 0 (0x7cff). */
    public static final int MAX = 31999;
    public static final int LENGTH = 4;

    private LegacyIds() {
    }

    /** @return the id as 4 lowercase hex digits */
    public static String format(int id) {
        if (id < 0 || id > 0xffff) {
            throw new IllegalArgumentException("legacy id out of range: " + id);
        }
        String h = Integer.toHexString(id);
        return "0000".substring(h.length()) + h;
    }

    public static byte[] bytes(int id) {
        return format(id).getBytes(StandardCharsets.US_ASCII);
    }

    /** @return the id after {@code id}: 1, 2, ... 31999, then 0 */
    public static int next(int id) {
        return id >= MAX ? 0 : id + 1;
    }

    /** @return the value of one hex digit, or -1 */
    static int hexDigit(int b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }
}
