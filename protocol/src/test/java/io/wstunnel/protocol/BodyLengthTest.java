package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BodyLengthTest {
    private static Headers length(String... values) {
        Headers h = Headers.EMPTY;
        for (String v : values) {
            h = h.with("Content-Length", v);
        }
        return h;
    }

    @Test
    void anExactBodyInPiecesIsAccepted() {
        BodyLength b = BodyLength.ofRequest(length("10"));
        assertThat(b.receive(0, false)).isNull();
        assertThat(b.receive(4, false)).isNull();
        assertThat(b.complete()).isFalse();
        assertThat(b.receive(6, false)).isNull();
        assertThat(b.complete()).isTrue();
        assertThat(b.receive(0, true)).isNull();
    }

    @Test
    void aShortOrLongBodyIsReportedAndNotCounted() {
        BodyLength b = BodyLength.ofRequest(length("10"));
        assertThat(b.receive(0, true)).isEqualTo("body ended after 0 of the 10 bytes its Content-Length announced");
        assertThat(b.receive(5, false)).isNull();
        assertThat(b.receive(6, true)).isEqualTo("body longer than its Content-Length 10");
        assertThat(b.received()).isEqualTo(5);
        assertThat(b.receive(4, true)).isEqualTo("body ended after 9 of the 10 bytes its Content-Length announced");
    }

    @Test
    void withoutContentLengthAnyBodyGoes() {
        BodyLength b = BodyLength.ofRequest(Headers.EMPTY);
        assertThat(b.announced()).isEqualTo(BodyLength.UNKNOWN);
        assertThat(b.receive(1 << 20, true)).isNull();
        assertThat(BodyLength.unchecked().receive(7, true)).isNull();
    }

    @Test
    void responsesWithoutBodyAnnounceNoneWhateverTheirContentLength() {
        assertThat(BodyLength.ofResponse("HEAD", 200, length("10")).receive(0, true)).isNull();
        assertThat(BodyLength.ofResponse("GET", 204, length("10")).receive(0, true)).isNull();
        assertThat(BodyLength.ofResponse("GET", 304, length("10")).receive(0, true)).isNull();
        assertThat(BodyLength.ofResponse("GET", 304, length("10")).receive(1, true)).isNotNull();
        assertThat(BodyLength.ofResponse("GET", 200, length("10")).receive(0, true)).isNotNull();
    }

    @Test
    void equalValuesAreOneLengthAndAnythingElseIsInvalid() {
        assertThat(BodyLength.ofRequest(length("3, 3", "3")).announced()).isEqualTo(3);
        for (Headers bad : new Headers[] {length("abc"), length("-1"), length(""), length("3, 4"), length("3", "4"),
                length("+3"), length("1234567890123456789")}) {
            BodyLength b = BodyLength.ofRequest(bad);
            assertThat(b.invalid()).as(bad.toString()).isTrue();
            assertThat(b.receive(0, false)).as(bad.toString()).contains("Content-Length");
        }
    }
}
