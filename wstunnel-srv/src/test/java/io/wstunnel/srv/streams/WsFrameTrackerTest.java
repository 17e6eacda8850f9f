package io.wstunnel.srv.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WsFrameTrackerTest {

    static byte[] frame(int opcode, boolean fin, int length, byte[] mask) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | opcode);
        int m = mask != null ? 0x80 : 0;
        if (length < 126) {
            out.write(m | length);
        } else if (length < 65536) {
            out.write(m | 126);
            out.write(length >>> 8);
            out.write(length & 0xff);
        } else {
            out.write(m | 127);
            for (int i = 7; i >= 0; i--) {
                out.write((int) (((long) length >>> (8 * i)) & 0xff));
            }
        }
        if (mask != null) {
            out.write(mask, 0, 4);
        }
        out.write(new byte[length], 0, length);
        return out.toByteArray();
    }

    @Test
    void followsBoundariesAcrossArbitrarySplits() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int[] lengths = {0, 5, 125, 126, 200, 65535, 65536, 300_000};
        java.util.List<Integer> ends = new java.util.ArrayList<>();
        for (int len : lengths) {
            byte[] f = frame(len % 2 == 0 ? 0x2 : 0x1, len != 200, len, len == 126 ? new byte[]{1, 2, 3, 4} : null);
            all.write(f, 0, f.length);
            ends.add(all.size());
        }
        byte[] bytes = all.toByteArray();
        Random r = new Random(7);
        for (int round = 0; round < 20; round++) {
            WsFrameTracker t = new WsFrameTracker();
            assertThat(t.atBoundary()).isTrue();
            int p = 0;
            while (p < bytes.length) {
                int n = Math.min(bytes.length - p, 1 + r.nextInt(round < 10 ? 7 : 70_000));
                ByteBuffer b = ByteBuffer.wrap(bytes, p, n);
                t.feed(b);
                assertThat(b.position()).isEqualTo(p); // not consumed
                p += n;
                assertThat(t.atBoundary()).as("after %d bytes", p).isEqualTo(ends.contains(p));
            }
            assertThat(t.frames()).isEqualTo(lengths.length);
            assertThat(t.closeSeen()).isFalse();
        }
    }

    @Test
    void closeFrameAndBrokenLength() {
        WsFrameTracker t = new WsFrameTracker();
        t.feed(ByteBuffer.wrap(frame(0x8, true, 2, null)));
        assertThat(t.atBoundary()).isTrue();
        assertThat(t.closeSeen()).isTrue();

        WsFrameTracker bad = new WsFrameTracker();
        bad.feed(ByteBuffer.wrap(new byte[]{(byte) 0x82, 127, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0}));
        assertThat(bad.broken()).isTrue();
        assertThat(bad.atBoundary()).isFalse();
    }
}
