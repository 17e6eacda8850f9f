package io.wstunnel.protocol.legacy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Collects one line across fed buffers; lines end with LF, an optional CR before it is dropped.
 * Never holds more than {@code hardCap} bytes. Not thread-safe: owned by one parser.
 */
final class LineBuffer {
    private byte[] buf = new byte[256];
    private int size;
    private int lastRaw;
    private final int hardCap;

    LineBuffer(int hardCap) {
        this.hardCap = hardCap;
    }

    /** Bytes of the pending, unfinished line; over the cap once {@link #take} refused to grow. */
    int size() {
        return size;
    }

    /** Raw length (with its CR LF) of the line last returned by {@link #take}. */
    int lastRawLength() {
        return lastRaw;
    }

    /**
     * @param cap most bytes the line (with its CRLF) may have; beyond it, returns null with
     *            {@link #size()} over the cap so the caller can fail
     * @return the completed line (ISO-8859-1, without CR LF), or null if more data is needed
     */
    String take(ByteBuffer data, int cap) {
        while (data.hasRemaining()) {
            byte b = data.get();
            if (b == '\n') {
                int end = size > 0 && buf[size - 1] == '\r' ? size - 1 : size;
                String s = new String(buf, 0, end, StandardCharsets.ISO_8859_1);
                lastRaw = size + 1;
                size = 0;
                return s;
            }
            if (size >= cap || size >= hardCap) {
                size++;
                return null;
            }
            if (size == buf.length) {
                byte[] n = new byte[Math.min(hardCap, buf.length * 2)];
                System.arraycopy(buf, 0, n, 0, size);
                buf = n;
            }
            buf[size++] = b;
        }
        return null;
    }
}
