package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** REPLY_BODY setting and the BODY flag on REPLY (PROTOCOL.md §2, §3.1, §3.3). */
class ReplyBodyTest {
    private static final Settings ACCEPTS = Settings.DEFAULT.withReplyBody(true);
    private static final ResponseHead HEAD = new ResponseHead(200, "OK", Headers.of("Content-Length", "5"));

    @Test
    void replyWithBodyRoundTripsAndSetsTheBodyFlag() {
        for (boolean end : new boolean[] {false, true}) {
            Frame.Reply r = new Frame.Reply(3, HEAD, end, ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer wire = FrameCodec.encode(r);
            assertThat(wire.get(1) & 0xFF).isEqualTo(FrameCodec.FLAG_BODY | (end ? FrameCodec.FLAG_END_STREAM : 0));
            Frame.Reply back = (Frame.Reply) FrameCodec.decode(wire, ACCEPTS);
            assertThat(back).isEqualTo(r);
            assertThat(back.hasBody()).isTrue();
            assertThat(StandardCharsets.US_ASCII.decode(back.body()).toString()).isEqualTo("hello");
        }
    }

    @Test
    void replyWithoutBodyIsEncodedExactlyAsBefore() {
        ByteBuffer plain = FrameCodec.encode(new Frame.Reply(3, HEAD, false));
        ByteBuffer empty = FrameCodec.encode(new Frame.Reply(3, HEAD, false, ByteBuffer.allocate(0)));
        assertThat(empty).isEqualTo(plain);
        assertThat(plain.get(1)).isZero();
        Frame.Reply back = (Frame.Reply) FrameCodec.decode(plain, Settings.DEFAULT);
        assertThat(back.hasBody()).isFalse();
    }

    @Test
    void bodyFlagIsAProtocolErrorUnlessAnnounced() {
        ByteBuffer wire = FrameCodec.encode(new Frame.Reply(3, HEAD, true, ByteBuffer.wrap(new byte[] {1})));
        assertThatThrownBy(() -> FrameCodec.decode(wire.duplicate(), Settings.DEFAULT))
                .isInstanceOfSatisfying(ProtocolException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
                    assertThat(e.streamLevel()).isFalse();
                });
        // on any other frame type the BODY bit stays unknown, announced or not
        ByteBuffer data = FrameCodec.encodeData(1, ByteBuffer.wrap(new byte[] {1}), false);
        data.put(1, (byte) FrameCodec.FLAG_BODY);
        assertThatThrownBy(() -> FrameCodec.decode(data, ACCEPTS)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void headAndBodyTogetherMustFitMaxHeadSize() {
        Settings small = new Settings(1 << 20, 10, Settings.MIN_FRAME_PAYLOAD, Settings.MIN_HEAD_SIZE, true);
        ByteBuffer wire = FrameCodec.encode(new Frame.Reply(3, HEAD, true, ByteBuffer.allocate(Settings.MIN_HEAD_SIZE)));
        assertThatThrownBy(() -> FrameCodec.decode(wire, small))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE));
    }

    @Test
    void replyBodySettingIsSentOnlyWhenOneAndRangeChecked() {
        ByteBuffer four = FrameCodec.encode(new Frame.Hello(Settings.DEFAULT));
        assertThat(four.remaining()).isEqualTo(FrameCodec.HEADER_SIZE + 4 * 6);
        ByteBuffer five = FrameCodec.encode(new Frame.Hello(ACCEPTS));
        assertThat(five.remaining()).isEqualTo(FrameCodec.HEADER_SIZE + 5 * 6);
        assertThat(((Frame.Hello) FrameCodec.decode(five, Settings.DEFAULT)).settings()).isEqualTo(ACCEPTS);
        assertThat(((Frame.Hello) FrameCodec.decode(four, Settings.DEFAULT)).settings().replyBody()).isFalse();

        ByteBuffer two = ByteBuffer.allocate(FrameCodec.HEADER_SIZE + 6).put(new byte[FrameCodec.HEADER_SIZE])
                .putShort((short) Settings.ID_REPLY_BODY).putInt(2).flip();
        assertThatThrownBy(() -> FrameCodec.decode(two, Settings.DEFAULT))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR));
    }
}
