package io.wstunnel.protocol.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.legacy.LegacyMessageParser.Framing;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The chunked-body decoder and the framing decision, on their own. */
class ChunkedBodyTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private ChunkedBody body(int maxTrailers) {
        return new ChunkedBody(new LineBuffer(8192), maxTrailers, 7, (data, n) -> {
            for (int i = 0; i < n; i++) {
                out.write(data.get());
            }
        });
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void decodesChunksFedOneByteAtATimeAndLeavesWhatFollows() {
        ChunkedBody b = body(1024);
        ByteBuffer in = bytes("5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nrest");
        boolean done = false;
        while (!done) {
            ByteBuffer one = in.slice();
            one.limit(1);
            done = b.read(one);
            in.position(in.position() + 1);
            assertThat(done || !one.hasRemaining()).isTrue();
        }
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("hello0123456789");
        assertThat(StandardCharsets.ISO_8859_1.decode(in).toString()).isEqualTo("rest");
    }

    @Test
    void rejectsDataLongerThanItsSizeBadSizesAndLargeTrailers() {
        assertThatThrownBy(() -> body(1024).read(bytes("2\r\nabc\r\n")))
                .isInstanceOfSatisfying(LegacyProtocolException.class, e -> {
                    assertThat(e.kind()).isEqualTo(LegacyProtocolException.Kind.MALFORMED_BODY);
                    assertThat(e.id()).isEqualTo(7);
                    assertThat(e).hasMessage("chunk data longer than its size");
                });
        assertThatThrownBy(() -> body(1024).read(bytes("zz\r\n")))
                .hasMessage("bad chunk size");
        assertThatThrownBy(() -> body(16).read(bytes("0\r\nX-Trailer: 0123456789\r\n\r\n")))
                .isInstanceOfSatisfying(LegacyProtocolException.class,
                        e -> assertThat(e.kind()).isEqualTo(LegacyProtocolException.Kind.HEAD_TOO_LARGE))
                .hasMessage("trailers larger than 16 bytes");
        assertThatThrownBy(() -> body(1024).read(bytes("0\r\nno colon\r\n\r\n")))
                .hasMessage("bad trailer line");
    }

    @Test
    void framingFollowsTransferEncodingThenContentLength() {
        assertThat(BodyFraming.ofRequest(Headers.EMPTY, 1)).isEqualTo(new BodyFraming(Framing.NONE, 0));
        assertThat(BodyFraming.ofRequest(Headers.of("Content-Length", "5, 5"), 1))
                .isEqualTo(new BodyFraming(Framing.LENGTH, 5));
        assertThat(BodyFraming.ofRequest(Headers.of("Transfer-Encoding", "gzip, chunked", "Content-Length", "5"), 1))
                .isEqualTo(new BodyFraming(Framing.CHUNKED, 0));
        assertThat(BodyFraming.ofResponse(200, Headers.EMPTY, false, 1).framing()).isEqualTo(Framing.TO_END_OF_MESSAGE);
        assertThat(BodyFraming.ofResponse(200, Headers.of("Content-Length", "9"), true, 1).framing())
                .isEqualTo(Framing.NONE);
        assertThat(BodyFraming.ofResponse(304, Headers.of("Content-Length", "9"), false, 1).framing())
                .isEqualTo(Framing.NONE);
        assertThatThrownBy(() -> BodyFraming.ofResponse(200, Headers.of("Content-Length", "1", "Content-Length", "2"), false, 3))
                .hasMessage("conflicting Content-Length values");
        assertThatThrownBy(() -> BodyFraming.ofRequest(Headers.of("Transfer-Encoding", "chunked, gzip"), 3))
                .hasMessage("unsupported Transfer-Encoding [chunked, gzip]");
    }
}
