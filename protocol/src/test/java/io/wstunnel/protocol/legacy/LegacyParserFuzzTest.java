package io.wstunnel.protocol.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Deterministic mutations of captured messages: the parser only ever throws its typed error. */
class LegacyParserFuzzTest {
    static final byte[] INTERESTING = " \r\n:;0123456789abcdefABCDEF-\t\u00e9".getBytes(StandardCharsets.ISO_8859_1);

    @Test
    void mutatedMessagesOnlyFailWithTheTypedError() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        for (String sub : List.of("srv-to-agent", "srv-to-caller", "agent-to-srv")) {
            Path d = LegacyVectorsTest.VECTORS.resolve(sub);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (var s = Files.list(d)) {
                s.filter(p -> p.toString().endsWith(".bin")).sorted().forEach(p -> {
                    try {
                        byte[] b = Files.readAllBytes(p);
                        seeds.add(b.length > 8192 ? java.util.Arrays.copyOf(b, 8192) : b);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
        }
        seeds.add("0001HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        seeds.add("0001POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc".getBytes(StandardCharsets.ISO_8859_1));
        Random r = new Random(20261121);
        int typed = 0;
        int ok = 0;
        for (int round = 0; round < 6000; round++) {
            byte[] msg = mutate(seeds.get(r.nextInt(seeds.size())), r);
            LegacyMessageParser.Kind kind = r.nextBoolean() ? LegacyMessageParser.Kind.REQUEST : LegacyMessageParser.Kind.RESPONSE;
            LegacyMessageParser p = new LegacyMessageParser(kind, 1024 + r.nextInt(8192), id -> id % 7 == 0,
                    new LegacyMessageParser.Listener() {
                        @Override
                        public void onBody(ByteBuffer chunk) {
                            assertThat(chunk.remaining()).isPositive();
                        }

                        @Override
                        public void onEnd() {
                        }
                    });
            try {
                int pos = 0;
                while (pos < msg.length) {
                    int n = Math.min(msg.length - pos, 1 + r.nextInt(64));
                    p.feed(ByteBuffer.wrap(msg, pos, n));
                    pos += n;
                }
                p.endOfMessage();
                ok++;
            } catch (LegacyProtocolException e) {
                typed++;
            }
        }
        assertThat(typed).isPositive();
        assertThat(ok).isPositive();
    }

    static byte[] mutate(byte[] in, Random r) {
        byte[] b = in.clone();
        int ops = 1 + r.nextInt(4);
        for (int i = 0; i < ops && b.length > 0; i++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(5)) {
                case 0:
                    b[at] = (byte) r.nextInt(256);
                    break;
                case 1:
                    b[at] = INTERESTING[r.nextInt(INTERESTING.length)];
                    break;
                case 2:
                    b = java.util.Arrays.copyOf(b, at);
                    break;
                case 3: {
                    byte[] n = new byte[b.length + 1];
                    System.arraycopy(b, 0, n, 0, at);
                    n[at] = INTERESTING[r.nextInt(INTERESTING.length)];
                    System.arraycopy(b, at, n, at + 1, b.length - at);
                    b = n;
                    break;
                }
                default: {
                    byte[] n = new byte[b.length - 1];
                    System.arraycopy(b, 0, n, 0, at);
                    System.arraycopy(b, at + 1, n, at, b.length - at - 1);
                    b = n;
                    break;
                }
            }
        }
        return b;
    }
}
