package io.wstunnel.srv.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * jqwik fuzzing of the chunked decoder (caller input) with random bytes and mutated valid bodies, fed
 * in random pieces: the only exception is {@link MalformedBodyException}, every call makes progress
 * (so a body cannot hang the reader), and decoding allocates nothing beyond that exception. Tries:
 * {@code jqwik.tries.default} (junit-platform.properties); a long run: {@code mvn -pl wstunnel-srv test -Dtest=ChunkedDecoderPropertyTest -Djqwik.tries.default=2500000}.
 */
class ChunkedDecoderPropertyTest {
    static final List<byte[]> CORPUS = List.of(
            "5\r\nhello\r\n0\r\n\r\n", "a;x=y\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n", "3 ; q=\"a;b\"\r\nabc\r\n0;e\r\n\r\n",
            "1\r\n\r\r\n2\r\n\r\n\r\n0\r\nA:\r\nB: c\td\r\n\r\n", "0000\r\n\r\n", "7fffffffffffffff\r\nab")
            .stream().map(s -> s.getBytes(StandardCharsets.ISO_8859_1)).toList();

    static {
        // Warm up: the first calls allocate for class loading (enum switch maps, lambdas), not decoding.
        Random r = new Random(1);
        for (int i = 0; i < 5000; i++) {
            byte[] b = i % 2 == 0 ? new byte[r.nextInt(64)] : mutate(CORPUS.get(i % CORPUS.size()), r);
            if (i % 2 == 0) {
                r.nextBytes(b);
            }
            try {
                new ChunkedDecoder(1024).decode(ByteBuffer.wrap(b), ByteBuffer.allocate(8));
            } catch (MalformedBodyException expected) {
                // warm-up
            }
        }
    }

    @Property
    void randomBytes(@ForAll @Size(max = 300) byte[] input, @ForAll long seed) {
        check(input, new Random(seed));
    }

    @Property
    void mutatedBodies(@ForAll("mutants") byte[] input, @ForAll long seed) {
        check(input, new Random(seed));
    }

    @Provide
    Arbitrary<byte[]> mutants() {
        return Combinators.combine(Arbitraries.of(CORPUS), Arbitraries.longs()).as((b, s) -> mutate(b, new Random(s)));
    }

    static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        int edits = 1 + r.nextInt(4);
        for (int i = 0; i < edits && b.length > 0; i++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(4)) {
                case 0 -> b[at] = (byte) r.nextInt(256);
                case 1 -> b[at] = (byte) "\r\n ;:\t0fF\0".charAt(r.nextInt(10));
                case 2 -> b = java.util.Arrays.copyOf(b, at); // truncate
                default -> {
                    byte[] longer = new byte[b.length + 1];
                    System.arraycopy(b, 0, longer, 0, at);
                    longer[at] = (byte) r.nextInt(256);
                    System.arraycopy(b, at, longer, at + 1, b.length - at);
                    b = longer;
                }
            }
        }
        return b;
    }

    static void check(byte[] input, Random r) {
        ChunkedDecoder d = new ChunkedDecoder(1024);
        ByteBuffer dst = ByteBuffer.allocate(1 + r.nextInt(32));
        ByteBuffer[] pieces = new ByteBuffer[input.length];
        for (int pos = 0, i = 0; pos < input.length; i++) {
            int piece = 1 + r.nextInt(input.length - pos);
            pieces[i] = ByteBuffer.wrap(input, pos, piece);
            pos += piece;
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        boolean stalled = false;
        MalformedBodyException refused = null;
        long before = mx.getThreadAllocatedBytes(tid);
        try {
            for (int i = 0; i < pieces.length && pieces[i] != null && !d.isDone() && !stalled; i++) {
                ByteBuffer src = pieces[i];
                while (src.hasRemaining() && !d.isDone()) {
                    int at = src.position();
                    int written = d.decode(src, dst);
                    dst.clear();
                    if (src.position() == at && written == 0) {
                        stalled = true;
                        break;
                    }
                }
            }
        } catch (MalformedBodyException e) {
            refused = e;
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        assertThat(stalled).as("every call makes progress").isFalse();
        if (refused != null) {
            assertThat(refused.getMessage()).startsWith("Malformed chunked request body: ");
        } else {
            assertThat(allocated).as("allocation without a refusal").isLessThan(4096);
        }
    }
}
