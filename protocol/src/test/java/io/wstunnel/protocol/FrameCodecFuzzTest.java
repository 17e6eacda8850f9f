package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Deterministic mutation test: a mutated frame either decodes to a Frame or fails with
 * ProtocolException, nothing else; whatever decodes can be encoded again.
 */
class FrameCodecFuzzTest {
    private static final int ITERATIONS = 20_000;

    @Test
    @Timeout(30)
    void mutatedFramesDecodeOrFailWithProtocolExceptionOnly() {
        List<byte[]> corpus = FrameCodecRoundTripTest.samples().map(f -> Hex.bytes(FrameCodec.encode(f))).toList();
        Settings small = new Settings(1, 1, Settings.MIN_FRAME_PAYLOAD, Settings.MIN_HEAD_SIZE);
        Random rnd = new Random(0x5eed_2024L);
        int decoded = 0;
        int rejected = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = mutate(corpus.get(rnd.nextInt(corpus.size())), rnd);
            Settings limits = rnd.nextInt(4) == 0 ? small : Settings.DEFAULT;
            Frame f;
            try {
                f = FrameCodec.decode(ByteBuffer.wrap(input), limits);
            } catch (ProtocolException e) {
                assertThat(e.code()).isNotNull();
                assertThat(e.streamLevel()).isEqualTo(e.streamId() != 0);
                rejected++;
                continue;
            } catch (Throwable t) {
                fail("decode of " + Hex.hex(input) + " threw " + t, t);
                return;
            }
            decoded++;
            assertThat(f).isNotNull();
            try {
                ByteBuffer again = FrameCodec.encode(f);
                Frame back = FrameCodec.decode(again, FrameCodecRoundTripTest.BIG);
                if (!(f instanceof Frame.Reset) && !(f instanceof Frame.GoAway)) { // reasons may be cut
                    assertThat(back).isEqualTo(f);
                }
            } catch (Throwable t) {
                fail("re-encoding " + f + " decoded from " + Hex.hex(input) + " threw " + t, t);
            }
        }
        assertThat(decoded).as("some mutants stay valid").isGreaterThan(ITERATIONS / 20);
        assertThat(rejected).as("most mutants are rejected").isGreaterThan(ITERATIONS / 4);
    }

    @Test
    @Timeout(30)
    void randomGarbageNeverEscapes() {
        Random rnd = new Random(42);
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = new byte[rnd.nextInt(64)];
            rnd.nextBytes(input);
            if (input.length > 0 && rnd.nextBoolean()) {
                input[0] = (byte) rnd.nextInt(7); // a known type, to get past the first check
            }
            if (input.length > 1 && rnd.nextBoolean()) {
                input[1] = (byte) rnd.nextInt(2);
            }
            if (input.length > 2 && rnd.nextBoolean()) {
                input[2] = 0;
            }
            try {
                FrameCodec.decode(ByteBuffer.wrap(input), Settings.DEFAULT);
            } catch (ProtocolException expected) {
                // fine
            } catch (Throwable t) {
                fail("decode of " + Hex.hex(input) + " threw " + t, t);
            }
        }
    }

    static byte[] mutate(byte[] valid, Random rnd) {
        byte[] b = valid.clone();
        int ops = 1 + rnd.nextInt(3);
        for (int op = 0; op < ops; op++) {
            switch (rnd.nextInt(7)) {
                case 0, 1 -> { // flip a bit / set a random byte
                    if (b.length > 0) {
                        int at = rnd.nextInt(b.length);
                        b[at] = rnd.nextBoolean() ? (byte) (b[at] ^ (1 << rnd.nextInt(8))) : (byte) rnd.nextInt(256);
                    }
                }
                case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length + 1)); // truncate
                case 3 -> { // extend with random bytes
                    int n = 1 + rnd.nextInt(16);
                    byte[] e = Arrays.copyOf(b, b.length + n);
                    for (int i = b.length; i < e.length; i++) {
                        e[i] = (byte) rnd.nextInt(256);
                    }
                    b = e;
                }
                case 4 -> { // insert or delete one byte in the middle
                    if (b.length > 1) {
                        int at = rnd.nextInt(b.length);
                        byte[] e = new byte[rnd.nextBoolean() ? b.length + 1 : b.length - 1];
                        System.arraycopy(b, 0, e, 0, at);
                        if (e.length > b.length) {
                            e[at] = (byte) rnd.nextInt(256);
                            System.arraycopy(b, at, e, at + 1, b.length - at);
                        } else {
                            System.arraycopy(b, at + 1, e, at, b.length - at - 1);
                        }
                        b = e;
                    }
                }
                case 5 -> { // poke a 16-bit length/count with an extreme value
                    if (b.length > 8) {
                        int at = 6 + rnd.nextInt(b.length - 7);
                        int v = new int[] {0, 1, 0x7fff, 0x8000, 0xffff}[rnd.nextInt(5)];
                        b[at] = (byte) (v >> 8);
                        b[at + 1] = (byte) v;
                    }
                }
                default -> { // header bytes: type, flags, stream id
                    if (b.length >= FrameCodec.HEADER_SIZE) {
                        int at = rnd.nextInt(FrameCodec.HEADER_SIZE);
                        b[at] = (byte) new int[] {0, 1, 2, 3, 4, 5, 6, 7, 0x80, 0xff}[rnd.nextInt(10)];
                    }
                }
            }
        }
        return b;
    }
}
