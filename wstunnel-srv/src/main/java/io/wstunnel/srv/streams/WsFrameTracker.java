package io.wstunnel.srv.streams;

import java.nio.ByteBuffer;

/**
 * Follows the WebSocket frame boundaries (RFC 6455 §5.2) of a raw byte stream without copying it: only
 * the frame headers are parsed (FIN/opcode byte, 7/16/64-bit payload length, mask bit and key), payload
 * bytes are skipped. Used by {@link WebSocketPassthrough} to know when a frame of its own (a keep-alive
 * PING) may be put between two frames of the spliced stream.
 *
 * <p>Not thread-safe: fed and read on the passthrough's owner thread.
 */
final class WsFrameTracker {
    private final byte[] header = new byte[14];
    private int have;
    private int need = 2;
    private long payloadLeft;
    private boolean broken;
    private boolean closeSeen;
    private long frames;

    /** Accounts for the bytes between {@code b}'s position and limit (the buffer itself is not moved). */
    void feed(ByteBuffer b) {
        int p = b.position();
        int lim = b.limit();
        while (p < lim && !broken) {
            if (payloadLeft > 0) {
                int skip = (int) Math.min(payloadLeft, lim - p);
                p += skip;
                payloadLeft -= skip;
                continue;
            }
            header[have++] = b.get(p++);
            if (have == 2) {
                int len7 = header[1] & 0x7f;
                need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header[1] & 0x80) != 0 ? 4 : 0);
            }
            if (have >= 2 && have == need) {
                headerDone();
            }
        }
    }

    private void headerDone() {
        int len7 = header[1] & 0x7f;
        long len;
        if (len7 < 126) {
            len = len7;
        } else if (len7 == 126) {
            len = ((header[2] & 0xff) << 8) | (header[3] & 0xff);
        } else {
            len = 0;
            for (int i = 2; i < 10; i++) {
                len = (len << 8) | (header[i] & 0xff);
            }
            if (len < 0) {
                broken = true; // most significant bit set: not a valid frame, stop guessing
                return;
            }
        }
        if ((header[0] & 0x0f) == 0x8) {
            closeSeen = true; // nothing may follow a close frame
        }
        frames++;
        payloadLeft = len;
        have = 0;
        need = 2;
    }

    /** True if everything fed so far ends exactly at the end of a frame. */
    boolean atBoundary() {
        return !broken && have == 0 && payloadLeft == 0;
    }

    /** The stream sent a CLOSE frame (no frame may be added after it). */
    boolean closeSeen() {
        return closeSeen;
    }

    /** The stream is not a valid frame sequence; boundaries are unknown from here on. */
    boolean broken() {
        return broken;
    }

    long frames() {
        return frames;
    }
}
