package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** DATA frames built in the room reserved before the payload are byte-identical to copied ones. */
class FrameCodecInPlaceTest {

    @Test
    void inPlaceFrameEqualsTheCopiedFrameAndConsumesThePayload() {
        byte[] body = "0123456789abcdef".getBytes();
        for (boolean end : new boolean[] {false, true}) {
            ByteBuffer copied = FrameCodec.encodeData(77, ByteBuffer.wrap(body), end);
            ByteBuffer payload = ByteBuffer.allocate(FrameCodec.HEADER_SIZE + body.length + 3)
                    .position(FrameCodec.HEADER_SIZE).put(body).flip().position(FrameCodec.HEADER_SIZE);
            ByteBuffer inPlace = FrameCodec.encodeDataInPlace(77, payload, end);
            assertThat(inPlace).isEqualTo(copied);
            assertThat(payload.hasRemaining()).isFalse();
            Frame.Data d = (Frame.Data) FrameCodec.decode(inPlace.duplicate(), Settings.DEFAULT);
            assertThat(d.endStream()).isEqualTo(end);
            assertThat(d.streamId()).isEqualTo(77);
        }
    }

    @Test
    void refusesWithoutRoomOrOnStreamZero() {
        assertThatThrownBy(() -> FrameCodec.encodeDataInPlace(1, ByteBuffer.allocate(10).position(5), false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameCodec.encodeDataInPlace(0, ByteBuffer.allocate(10).position(6), false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameCodec.encodeDataInPlace(1, ByteBuffer.allocate(10).position(6).asReadOnlyBuffer(), false))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
