package io.wstunnel.srv.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** A refused upgrade's body is buffered up to its cap, counted across parts, empty parts included. */
class RefusalBodyTest {
    @Test
    void acceptsUpToTheCapAndRefusesTheByteBeyond() {
        RefusalBody body = new RefusalBody();
        int half = WebSocketPassthrough.MAX_REFUSAL_BODY / 2;
        assertThat(body.add(ByteBuffer.allocate(half))).isTrue();
        assertThat(body.add(ByteBuffer.allocate(0))).isTrue();
        assertThat(body.add(ByteBuffer.allocate(WebSocketPassthrough.MAX_REFUSAL_BODY - half))).isTrue();
        assertThat(body.add(ByteBuffer.allocate(1))).isFalse();
    }
}
