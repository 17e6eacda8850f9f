package io.wstunnel.srv.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** RFC 6455 client-frame decoding without sockets: splits, masks, fragments, control frames, errors. */
class WsFrameDecoderTest {

    private final List<String> events = new ArrayList<>();
    private final List<byte[]> binaries = new ArrayList<>();

    private final WsFrameDecoder.Sink sink = new WsFrameDecoder.Sink() {
        @Override
        public void onBinary(ByteBuffer message) {
            byte[] b = new byte[message.remaining()];
            message.get(b);
            binaries.add(b);
            events.add("binary " + b.length);
        }

        @Override
        public void onText(ByteBuffer message) {
            events.add("text " + StandardCharsets.UTF_8.decode(message));
        }

        @Override
        public void onPing(byte[] payload) {
            events.add("ping " + new String(payload, StandardCharsets.UTF_8));
        }

        @Override
        public void onPong(byte[] payload) {
            events.add("pong " + payload.length);
        }

        @Override
        public void onClose(int code, String reason) {
            events.add("close " + code + " " + reason);
        }
    };

    /** A masked client frame, built independently of the decoder (byte-wise masking). */
    static byte[] clientFrame(boolean fin, int opcode, byte[] payload, int mask) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | opcode);
        int n = payload.length;
        if (n < 126) {
            out.write(0x80 | n);
        } else if (n < 65536) {
            out.write(0x80 | 126);
            out.write(n >>> 8);
            out.write(n);
        } else {
            out.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                out.write((int) ((long) n >>> (8 * i)));
            }
        }
        byte[] key = ByteBuffer.allocate(4).putInt(mask).array();
        out.write(key, 0, 4);
        for (int i = 0; i < n; i++) {
            out.write(payload[i] ^ key[i & 3]);
        }
        return out.toByteArray();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void binaryMessagesOfEveryLengthClassSurviveAnySplit() {
        Random rnd = new Random(7);
        for (int n : new int[] {0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536, 200_000}) {
            byte[] payload = random(n, n);
            byte[] wire = clientFrame(true, WsFrames.OP_BINARY, payload, rnd.nextInt());
            WsFrameDecoder d = new WsFrameDecoder(1 << 20, sink);
            binaries.clear();
            for (int at = 0; at < wire.length; ) {
                int step = 1 + rnd.nextInt(Math.min(wire.length - at, 1 + rnd.nextInt(70_000)));
                d.feed(ByteBuffer.wrap(wire, at, step));
                at += step;
            }
            assertThat(binaries).hasSize(1);
            assertThat(binaries.get(0)).as("payload of %d bytes", n).isEqualTo(payload);
        }
    }

    @Test
    void unmaskMatchesByteWiseMaskingAtEveryPhaseAndLength() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 2000; trial++) {
            int mask = rnd.nextInt();
            int phase = rnd.nextInt(8);
            int len = rnd.nextInt(40);
            byte[] data = random(len + 3, trial);
            byte[] expected = data.clone();
            byte[] key = ByteBuffer.allocate(4).putInt(mask).array();
            for (int i = 0; i < len; i++) {
                expected[3 + i] ^= key[(phase + i) & 3];
            }
            WsFrames.unmask(data, 3, len, mask, phase);
            assertThat(data).isEqualTo(expected);
        }
    }

    @Test
    void severalFramesInOneBufferAndControlFramesBetweenFragments() {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(clientFrame(false, WsFrames.OP_BINARY, "ab".getBytes(), 0x01020304));
        wire.writeBytes(clientFrame(true, WsFrames.OP_PING, "hi".getBytes(), 0x0A0B0C0D));
        wire.writeBytes(clientFrame(false, WsFrames.OP_CONTINUATION, "cd".getBytes(), 0x11111111));
        wire.writeBytes(clientFrame(true, WsFrames.OP_CONTINUATION, "e".getBytes(), 0x7F00FF00));
        wire.writeBytes(clientFrame(true, WsFrames.OP_TEXT, "txt".getBytes(), 0x55AA55AA));
        wire.writeBytes(clientFrame(true, WsFrames.OP_PONG, new byte[0], 0));
        wire.writeBytes(clientFrame(true, WsFrames.OP_CLOSE, closeBody(1000, "bye"), 0x12345678));
        new WsFrameDecoder(100, sink).feed(ByteBuffer.wrap(wire.toByteArray()));
        assertThat(events).containsExactly("ping hi", "binary 5", "text txt", "pong 0", "close 1000 bye");
        assertThat(new String(binaries.get(0))).isEqualTo("abcde");
    }

    @Test
    void aMessageCutIntoFragmentsOfAnySizeIsReassembledExactly() {
        Random rnd = new Random(13);
        for (int trial = 0; trial < 50; trial++) {
            byte[] message = random(rnd.nextInt(150_000), trial);
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            int at = 0;
            boolean first = true;
            do {
                // fragments of 0 .. 40,000 bytes, empty ones included, the last one possibly empty too
                int n = Math.min(message.length - at, rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(40_000));
                boolean last = at + n == message.length && rnd.nextBoolean();
                wire.writeBytes(clientFrame(last, first ? WsFrames.OP_BINARY : WsFrames.OP_CONTINUATION,
                        Arrays.copyOfRange(message, at, at + n), rnd.nextInt()));
                at += n;
                first = false;
                if (last) {
                    break;
                }
            } while (true);
            WsFrameDecoder d = new WsFrameDecoder(message.length, sink);
            binaries.clear();
            byte[] w = wire.toByteArray();
            for (int off = 0; off < w.length; ) {
                int step = Math.min(w.length - off, 1 + rnd.nextInt(50_000));
                d.feed(ByteBuffer.wrap(w, off, step));
                off += step;
            }
            assertThat(binaries).hasSize(1);
            assertThat(binaries.get(0)).as("message of %d bytes", message.length).isEqualTo(message);
        }
    }

    /**
     * Memory per connection stays bounded by the message limit: an empty continuation frame costs
     * nothing (it allocates nothing, so nothing of it can be held), however many follow a message's
     * first frame; the message still ends normally with its last fragment.
     */
    @Test
    void emptyContinuationFramesCostNothingHoweverManyArrive() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported()
                && threads.isThreadAllocatedMemoryEnabled(), "per-thread allocation counting");
        WsFrameDecoder d = new WsFrameDecoder(100, sink);
        d.feed(ByteBuffer.wrap(clientFrame(false, WsFrames.OP_BINARY, "ab".getBytes(), 7)));
        byte[] empty = clientFrame(false, WsFrames.OP_CONTINUATION, new byte[0], 0);
        ByteBuffer chunk = ByteBuffer.allocate(empty.length * 10_000);
        while (chunk.hasRemaining()) {
            chunk.put(empty);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 200; i++) { // 2,000,000 empty fragments, 12 MB on the wire
            d.feed(chunk.clear());
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated for 2,000,000 empty continuation frames").isLessThan(1 << 20);
        d.feed(ByteBuffer.wrap(clientFrame(true, WsFrames.OP_CONTINUATION, "c".getBytes(), 9)));
        assertThat(events).containsExactly("binary 3");
        assertThat(new String(binaries.get(0))).isEqualTo("abc");
    }

    @Test
    void closeWithoutStatusReportsNoStatus() {
        new WsFrameDecoder(100, sink).feed(ByteBuffer.wrap(clientFrame(true, WsFrames.OP_CLOSE, new byte[0], 9)));
        assertThat(events).containsExactly("close 1005 ");
    }

    private static byte[] closeBody(int code, String reason) {
        return WsFrames.closePayload(code, reason).array();
    }

    @Test
    void protocolViolationsAreTypedWithTheirCloseCode() {
        record Bad(String what, byte[] wire, int code) {
        }
        byte[] unmasked = {(byte) 0x82, 0x01, 0x00};
        byte[] rsv = clientFrame(true, WsFrames.OP_BINARY, new byte[1], 1);
        rsv[0] |= 0x40;
        byte[] hugeLength = {(byte) 0x82, (byte) 0xFF, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
        List<Bad> bad = List.of(
                new Bad("unmasked", unmasked, WsFrames.PROTOCOL_ERROR),
                new Bad("reserved bit", rsv, WsFrames.PROTOCOL_ERROR),
                new Bad("unknown opcode", clientFrame(true, 0x3, new byte[0], 1), WsFrames.PROTOCOL_ERROR),
                new Bad("continuation first", clientFrame(true, WsFrames.OP_CONTINUATION, new byte[1], 1), WsFrames.PROTOCOL_ERROR),
                new Bad("fragmented ping", clientFrame(false, WsFrames.OP_PING, new byte[1], 1), WsFrames.PROTOCOL_ERROR),
                new Bad("ping over 125", clientFrame(true, WsFrames.OP_PING, new byte[126], 1), WsFrames.PROTOCOL_ERROR),
                new Bad("close of one byte", clientFrame(true, WsFrames.OP_CLOSE, new byte[1], 1), WsFrames.PROTOCOL_ERROR),
                new Bad("close code 1006", clientFrame(true, WsFrames.OP_CLOSE, closeBody(1006, ""), 1), WsFrames.PROTOCOL_ERROR),
                new Bad("64-bit length with the high bit", hugeLength, WsFrames.PROTOCOL_ERROR),
                new Bad("message over the limit", clientFrame(true, WsFrames.OP_BINARY, new byte[101], 1), WsFrames.MESSAGE_TOO_BIG),
                new Bad("fragments over the limit", concat(clientFrame(false, WsFrames.OP_BINARY, new byte[60], 1),
                        clientFrame(true, WsFrames.OP_CONTINUATION, new byte[60], 1)), WsFrames.MESSAGE_TOO_BIG),
                new Bad("new message inside a fragmented one", concat(clientFrame(false, WsFrames.OP_BINARY, new byte[1], 1),
                        clientFrame(true, WsFrames.OP_BINARY, new byte[1], 1)), WsFrames.PROTOCOL_ERROR));
        for (Bad b : bad) {
            WsFrameDecoder d = new WsFrameDecoder(100, sink);
            assertThatThrownBy(() -> d.feed(ByteBuffer.wrap(b.wire())))
                    .as(b.what())
                    .isInstanceOfSatisfying(WsProtocolException.class, e -> assertThat(e.closeCode()).isEqualTo(b.code()));
        }
        assertThat(binaries).isEmpty();
    }

    @Test
    void oversizedLengthIsRefusedBeforeAnyAllocation() {
        // A header announcing 2 GiB must fail on the header alone, without waiting for or allocating the payload.
        byte[] header = {(byte) 0x82, (byte) 0xFF, 0, 0, 0, 0, 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1, 2, 3, 4};
        assertThatThrownBy(() -> new WsFrameDecoder(65_536, sink).feed(ByteBuffer.wrap(header)))
                .isInstanceOfSatisfying(WsProtocolException.class, e -> assertThat(e.closeCode()).isEqualTo(WsFrames.MESSAGE_TOO_BIG));
    }

    @Test
    void closePayloadNeverSplitsAUtf8SequenceAndFitsAControlFrame() {
        String reason = "é".repeat(100); // 200 bytes
        ByteBuffer p = WsFrames.closePayload(1008, reason);
        assertThat(p.remaining()).isLessThanOrEqualTo(125);
        byte[] r = Arrays.copyOfRange(p.array(), 2, p.remaining());
        assertThat(new String(r, StandardCharsets.UTF_8)).isEqualTo("é".repeat(61));
    }

    @Test
    void acceptKeyMatchesTheRfcExample() {
        assertThat(WsFrames.acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assertThat(WsFrames.validKey("dGhlIHNhbXBsZSBub25jZQ==")).isTrue();
        assertThat(WsFrames.validKey("c2hvcnQ=")).isFalse();
        assertThat(WsFrames.validKey(null)).isFalse();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
