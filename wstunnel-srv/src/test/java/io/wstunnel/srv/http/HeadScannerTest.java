package io.wstunnel.srv.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The obs-fold scanner alone: where a head ends and whether it was folded, whatever the split. */
class HeadScannerTest {

    /** Feeds {@code raw} in pieces; @return {end index or -1, folded ? 1 : 0} */
    static int[] scan(HeadScanner s, String raw, int piece) {
        ByteBuffer buf = ByteBuffer.wrap(raw.getBytes(StandardCharsets.ISO_8859_1));
        int end = -1;
        for (int from = 0; from < raw.length() && end < 0; from += piece) {
            end = s.scan(buf, from, Math.min(raw.length(), from + piece));
        }
        return new int[] {end, s.takeFolded() ? 1 : 0};
    }

    static Stream<Arguments> heads() {
        return Stream.of(
                Arguments.of("plain", "GET / HTTP/1.1\r\nHost: x\r\nX-A: one two\r\n\r\n", false),
                Arguments.of("no fields", "GET / HTTP/1.1\r\n\r\n", false),
                Arguments.of("empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", false),
                Arguments.of("white space inside values", "GET / HTTP/1.1\r\nX-A:  a \t b \r\nX-B:\tc\r\n\r\n", false),
                Arguments.of("fold with a space", "GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n", true),
                Arguments.of("fold with a tab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n\ttwo\r\n\r\n", true),
                Arguments.of("white space before the first field", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", true),
                Arguments.of("fold on the last line", "GET / HTTP/1.1\r\nX-A: one\r\n \r\n\r\n", true),
                Arguments.of("bare LF line ends", "GET / HTTP/1.1\nHost: x\n\n", false),
                Arguments.of("fold after a bare LF", "GET / HTTP/1.1\nX-A: one\n two\n\n", true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("heads")
    void findsTheEndOfTheHeadAndAnyFoldWhateverTheSplit(String what, String head, boolean folded) {
        String body = "\r\n body line that starts with a space\r\n\r\n";
        for (int piece = 1; piece <= head.length() + body.length(); piece++) {
            HeadScanner s = new HeadScanner();
            int[] r = scan(s, head + body, piece);
            assertThat(r[0]).as("%s: head end, piece %d", what, piece).isEqualTo(head.length());
            assertThat(r[1] == 1).as("%s: folded, piece %d", what, piece).isEqualTo(folded);
            assertThat(s.scanning()).as("the body is not scanned").isFalse();
            assertThat(s.scan(ByteBuffer.wrap(body.getBytes(StandardCharsets.ISO_8859_1)), 0, body.length())).isEqualTo(-1);
            assertThat(s.takeFolded()).isFalse();
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @org.junit.jupiter.params.provider.CsvSource({"HTTP/1.1, false", "HTTP/1.0, false", "HTTP/1.9, false", "HTTP/9.9, true",
            "HTTP/3.0, true", "HTTP/0.9, true", "XTTP/9.9, false", "HTTP/9, false"})
    void notesARequestLineWithAnotherMajorVersionWhateverTheSplit(String version, boolean other) {
        String head = "\r\nGET /a?HTTP/9.9 " + version + "\r\nHost: x\r\nX-V: HTTP/9.9\r\n\r\n";
        for (int piece = 1; piece <= head.length(); piece++) {
            HeadScanner s = new HeadScanner();
            assertThat(scan(s, head, piece)[0]).isEqualTo(head.length());
            assertThat(s.takeOtherMajorVersion()).as("piece %d", piece).isEqualTo(other);
            assertThat(s.takeOtherMajorVersion()).as("cleared").isFalse();
        }
    }

    @Test
    void eachHeadOnAConnectionIsJudgedOnItsOwn() {
        HeadScanner s = new HeadScanner();
        String folded = "GET /1 HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n";
        String clean = "GET /2 HTTP/1.1\r\nX-A: a b\r\n\r\n";
        assertThat(scan(s, folded, 5)).containsExactly(folded.length(), 1);
        s.expectHead();
        assertThat(scan(s, clean, 5)).containsExactly(clean.length(), 0);
        s.expectHead();
        assertThat(s.scan(ByteBuffer.wrap(folded.getBytes(StandardCharsets.ISO_8859_1)), 0, 20)).isEqualTo(-1);
        s.expectHead(); // e.g. the connection went on with another head: a fold seen before is forgotten
        assertThat(scan(s, clean, 64)).containsExactly(clean.length(), 0);
    }

    @Test
    void stopsForGoodAfterAnUpgrade() {
        HeadScanner s = new HeadScanner();
        s.stop();
        assertThat(s.scanning()).isFalse();
        assertThat(scan(s, "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 4)).containsExactly(-1, 0);
    }
}
