package io.wstunnel.srv.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The chunked decoder alone: every split of valid bodies, and every refusal with its reason. */
class ChunkedDecoderTest {

    /** What a decode of {@code raw} gave: the body, whether it ended, and the bytes left after it. */
    record Result(String body, boolean done, String rest) {
    }

    /** Decodes {@code raw} fed in pieces of {@code piece} bytes into a {@code out}-byte buffer. */
    static Result decode(String raw, int piece, int out) throws MalformedBodyException {
        ChunkedDecoder d = new ChunkedDecoder(1024);
        byte[] in = raw.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        ByteBuffer dst = ByteBuffer.allocate(out);
        int pos = 0;
        String rest = "";
        while (pos < in.length && !d.isDone()) {
            ByteBuffer src = ByteBuffer.wrap(in, pos, Math.min(piece, in.length - pos));
            while (src.hasRemaining() && !d.isDone()) {
                d.decode(src, dst);
                dst.flip();
                body.write(dst.array(), 0, dst.limit());
                dst.clear();
            }
            pos = src.position();
        }
        if (d.isDone()) {
            rest = new String(in, pos, in.length - pos, StandardCharsets.ISO_8859_1);
        }
        return new Result(body.toString(StandardCharsets.ISO_8859_1), d.isDone(), rest);
    }

    static Stream<Arguments> validBodies() {
        return Stream.of(
                Arguments.of("5\r\nhello\r\n0\r\n\r\n", "hello"),
                Arguments.of("0\r\n\r\n", ""),
                Arguments.of("000\r\n\r\n", ""),
                Arguments.of("A\r\n0123456789\r\n1\r\n!\r\n0\r\n\r\n", "0123456789!"),
                Arguments.of("a;name=value\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
                Arguments.of("3 ;ext \t; q=\"quoted; \u00e9\"\r\nabc\r\n0;last\r\n\r\n", "abc"),
                Arguments.of("3\r\n\r\n\r\r\n0\r\n\r\n", "\r\n\r"),
                Arguments.of("2\r\nab\r\n0\r\nX-Sum: 12\r\nX-Empty:\r\nX-Tab:\ta\tb\r\n\r\n", "ab"),
                Arguments.of("00000000000000000000000000000003\r\nabc\r\n0\r\n\r\n", "abc"),
                Arguments.of("7fffffffffffffff\r\nab", "ab"));
    }

    @ParameterizedTest(name = "valid body {index}")
    @MethodSource("validBodies")
    void decodesValidBodiesWhateverTheSplit(String raw, String body) throws Exception {
        boolean complete = raw.endsWith("\r\n\r\n");
        for (int piece = 1; piece <= raw.length(); piece++) {
            for (int out : new int[] {1, 3, 64}) {
                Result r = decode(complete ? raw + "NEXT" : raw, piece, out);
                assertThat(r.body()).as("piece %d out %d", piece, out).isEqualTo(body);
                assertThat(r.done()).as("done, piece %d", piece).isEqualTo(complete);
                if (complete) {
                    assertThat(r.rest()).as("bytes after the body stay").isEqualTo("NEXT");
                }
            }
        }
    }

    @Test
    void bodyBytesCanBeReadStraightIntoTheCallersBuffer() throws Exception {
        ChunkedDecoder d = new ChunkedDecoder(1024);
        ByteBuffer dst = ByteBuffer.allocate(64);
        d.decode(ByteBuffer.wrap("10\r\n".getBytes(StandardCharsets.ISO_8859_1)), dst);
        assertThat(d.dataRemaining()).isEqualTo(16);
        d.dataConsumed(10);
        assertThat(d.dataRemaining()).isEqualTo(6);
        d.dataConsumed(6);
        assertThat(d.dataRemaining()).isZero();
        assertThatThrownBy(() -> d.dataConsumed(1)).isInstanceOf(IllegalStateException.class);
        d.decode(ByteBuffer.wrap("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)), dst);
        assertThat(d.isDone()).isTrue();
        assertThat(dst.position()).isZero();
    }

    static Stream<Arguments> malformedBodies() {
        return Stream.of(
                Arguments.of("absurd size (overflow)", "fffffffffffffffffff\r\nabc\r\n0\r\n\r\n", "chunk size too large"),
                Arguments.of("2^63", "8000000000000000\r\nabc\r\n", "chunk size too large"),
                Arguments.of("non-hex size", "zz\r\nabc\r\n0\r\n\r\n", "invalid chunk size"),
                Arguments.of("hex then junk", "5z\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
                Arguments.of("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
                Arguments.of("sign", "+5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
                Arguments.of("negative", "-5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
                Arguments.of("empty size", "\r\nhello\r\n0\r\n\r\n", "missing chunk size"),
                Arguments.of("leading space", " 5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
                Arguments.of("trailing space, no extension", "5 \r\nhello\r\n0\r\n\r\n", "not followed by an extension"),
                Arguments.of("bare LF after the size", "5\nhello\r\n0\r\n\r\n", "invalid chunk size"),
                Arguments.of("CR without LF after the size", "5\rhello\r\n0\r\n\r\n", "not ended by CRLF"),
                Arguments.of("NUL in an extension", "5;\0\r\nhello\r\n0\r\n\r\n", "control character in a chunk extension"),
                Arguments.of("bare LF in an extension", "5;a\nb\r\nhello\r\n0\r\n\r\n", "control character in a chunk extension"),
                Arguments.of("data longer than its size", "3\r\nhello\r\n0\r\n\r\n", "longer than its chunk size"),
                Arguments.of("bare LF after data", "5\r\nhello\n0\r\n\r\n", "longer than its chunk size"),
                Arguments.of("CR without LF after data", "5\r\nhello\rx0\r\n\r\n", "not followed by CRLF"),
                Arguments.of("obs-fold in the trailer", "0\r\nX-A: a\r\n b\r\n\r\n", "obsolete line folding"),
                Arguments.of("bad trailer name", "0\r\nX A: a\r\n\r\n", "invalid trailer field name"),
                Arguments.of("trailer without colon", "0\r\nX-A\r\n\r\n", "invalid trailer field name"),
                Arguments.of("NUL in a trailer", "0\r\nX-A: a\0b\r\n\r\n", "control character in a trailer field"),
                Arguments.of("bare LF in a trailer", "0\r\nX-A: a\nX-B: b\r\n\r\n", "control character in a trailer field"),
                Arguments.of("bare LF ending the body", "0\r\n\n", "invalid trailer field name"),
                Arguments.of("CR without LF ending the body", "0\r\n\rX", "not ended by CRLF"),
                Arguments.of("chunk line too long", "5;" + "e".repeat(ChunkedDecoder.MAX_LINE) + "\r\nhello\r\n", "longer than 4096"),
                Arguments.of("size digits beyond the line limit", "0".repeat(ChunkedDecoder.MAX_LINE + 1) + "5\r\n", "longer than 4096"),
                Arguments.of("trailer section too large", "0\r\nX-A: " + "a".repeat(1100) + "\r\n\r\n", "larger than 1024"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedBodies")
    void refusesMalformedBodiesWhateverTheSplit(String what, String raw, String reason) {
        for (int piece : new int[] {1, 2, 7, raw.length()}) {
            assertThatThrownBy(() -> decode(raw, piece, 16)).as(what + ", piece " + piece)
                    .isInstanceOf(MalformedBodyException.class)
                    .hasMessageStartingWith("Malformed chunked request body: ")
                    .hasMessageContaining(reason);
        }
    }

    @Test
    void anIncompleteBodyIsNotDone() throws Exception {
        for (String partial : new String[] {"5\r\nhel", "5\r\nhello\r\n", "5\r\nhello\r\n0\r\n", "0\r\nX-A: b\r\n", "0\r\n\r"}) {
            Result r = decode(partial, 1, 8);
            assertThat(r.done()).as(partial).isFalse();
        }
    }
}
