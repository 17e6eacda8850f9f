package io.wstunnel.srv.ws;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** RFC 6455 constants and the byte-level pieces shared by the decoder and the writer. */
public final class WsFrames {
    public static final int OP_CONTINUATION = 0x0;
    public static final int OP_TEXT = 0x1;
    public static final int OP_BINARY = 0x2;
    public static final int OP_CLOSE = 0x8;
    public static final int OP_PING = 0x9;
    public static final int OP_PONG = 0xA;

    public static final int NORMAL = 1000;
    public static final int PROTOCOL_ERROR = 1002;
    /** Reported when a close frame carries no status (never sent). */
    public static final int NO_STATUS = 1005;
    public static final int MESSAGE_TOO_BIG = 1009;

    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private WsFrames() {
    }

    /**
     * XORs {@code a[off, off+len)} with the masking key, eight bytes at a time.
     * @param phase the payload index of {@code a[off]} (the key repeats every four bytes)
     */
    public static void unmask(byte[] a, int off, int len, int mask, int phase) {
        int key = Integer.rotateLeft(mask, 8 * (phase & 3));
        long wide = ((long) key << 32) | (key & 0xFFFFFFFFL);
        int i = off;
        int end = off + len;
        for (; i + 8 <= end; i += 8) {
            LONGS.set(a, i, (long) LONGS.get(a, i) ^ wide);
        }
        for (int k = 0; i < end; i++, k++) {
            a[i] ^= (byte) (key >>> (24 - 8 * (k & 3)));
        }
    }

    /** The header of an unmasked, final server frame of {@code length} payload bytes. */
    public static ByteBuffer header(int opcode, int length) {
        ByteBuffer h;
        if (length < 126) {
            h = ByteBuffer.allocate(2).put((byte) (0x80 | opcode)).put((byte) length);
        } else if (length < 65536) {
            h = ByteBuffer.allocate(4).put((byte) (0x80 | opcode)).put((byte) 126).putShort((short) length);
        } else {
            h = ByteBuffer.allocate(10).put((byte) (0x80 | opcode)).put((byte) 127).putLong(length);
        }
        return h.flip();
    }

    /** A close frame's payload: the code and the reason cut to fit a control frame (123 bytes). */
    public static ByteBuffer closePayload(int code, String reason) {
        byte[] r = reason == null ? new byte[0] : reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, 123);
        while (n > 0 && n < r.length && (r[n] & 0xC0) == 0x80) {
            n--; // never cut a UTF-8 sequence in half
        }
        return ByteBuffer.allocate(2 + n).putShort((short) code).put(r, 0, n).flip();
    }

    /** Codes a peer may put in a close frame (RFC 6455 §7.4, IANA registry, 3000-4999). */
    public static boolean validCloseCode(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    /** {@code Sec-WebSocket-Accept} for a client's {@code Sec-WebSocket-Key}. */
    public static String acceptKey(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by the JDK", e);
        }
    }

    /** Refusal text for an upgrade with another {@code Sec-WebSocket-Version} (send {@code Sec-WebSocket-Version: 13} with it). */
    public static final String BAD_VERSION = "Unsupported WebSocket version (13 required)";
    /** Refusal text for an upgrade without a well-formed key. */
    public static final String BAD_KEY = "Missing or malformed Sec-WebSocket-Key";

    /**
     * Why a WebSocket upgrade we answer ourselves cannot get a 101 (RFC 6455 §4.2.1: version 13, a key
     * of 16 bytes in base64), or null. Undertow's own handshake handler needs this check before it:
     * it accepts any key, and passes a version it does not know on to an empty 404.
     */
    public static String handshakeError(String version, String key) {
        if (!"13".equals(version)) {
            return BAD_VERSION;
        }
        return validKey(key) ? null : BAD_KEY;
    }

    /** True for a well-formed {@code Sec-WebSocket-Key}: base64 of 16 bytes. */
    public static boolean validKey(String key) {
        if (key == null) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key.trim()).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
