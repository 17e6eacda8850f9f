package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A WebSocket stack may hand the decoder heap, direct or read-only buffers, at any offset and byte order. */
class FrameCodecBufferKindsTest {

    record Kind(String name, Function<byte[], ByteBuffer> make) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Kind> KINDS = List.of(
            new Kind("heap", ByteBuffer::wrap),
            new Kind("heap at an offset", b -> {
                ByteBuffer big = ByteBuffer.allocate(b.length + 20);
                big.position(7).put(b).flip().position(7); // limit = 7 + length, 13 bytes unused after it
                return big;
            }),
            new Kind("heap slice", b -> {
                byte[] big = new byte[b.length + 10];
                System.arraycopy(b, 0, big, 5, b.length);
                return ByteBuffer.wrap(big, 5, b.length).slice();
            }),
            new Kind("read-only heap", b -> ByteBuffer.wrap(b).asReadOnlyBuffer()),
            new Kind("direct", b -> ByteBuffer.allocateDirect(b.length).put(b).flip()),
            new Kind("direct at an offset", b -> {
                ByteBuffer big = ByteBuffer.allocateDirect(b.length + 20);
                big.position(3).put(b).limit(3 + b.length).position(3);
                return big;
            }),
            new Kind("read-only direct", b -> ByteBuffer.allocateDirect(b.length).put(b).flip().asReadOnlyBuffer()),
            new Kind("little-endian heap", b -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN)),
            new Kind("little-endian read-only direct",
                    b -> ByteBuffer.allocateDirect(b.length).put(b).flip().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN)));

    static Stream<Arguments> cases() {
        return KINDS.stream().flatMap(k -> FrameCodecRoundTripTest.samples().map(f -> Arguments.of(k, f)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void decodesFromEveryKindOfBuffer(Kind kind, Frame frame) {
        byte[] wire = Hex.bytes(FrameCodec.encode(frame));
        ByteBuffer message = kind.make().apply(wire);
        int limit = message.limit();
        Frame back = FrameCodec.decode(message, Settings.DEFAULT);
        assertThat(back).isEqualTo(frame);
        assertThat(message.position()).as("consumed").isEqualTo(limit);
        assertThat(message.limit()).isEqualTo(limit);
        if (back instanceof Frame.Data d) {
            assertThat(d.payload().isReadOnly()).isTrue();
            assertThat(d.payload().order()).isEqualTo(ByteOrder.BIG_ENDIAN);
            assertThat(Hex.bytes(d.payload())).containsExactly(Hex.bytes(((Frame.Data) frame).payload()));
        }
    }

    static Stream<Arguments> malformedCases() {
        return KINDS.stream().flatMap(k -> Stream.of(
                Arguments.of(k, "", ErrorCode.PROTOCOL_ERROR),
                Arguments.of(k, "03 00 0000", ErrorCode.PROTOCOL_ERROR),
                Arguments.of(k, "04 00 00000001 00000000", ErrorCode.PROTOCOL_ERROR),
                Arguments.of(k, "02 00 00000001 00c8 0000 ffff", ErrorCode.PROTOCOL_ERROR),
                Arguments.of(k, "00 00 00000000 0003 00000001", ErrorCode.PROTOCOL_ERROR)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("malformedCases")
    void malformedFromEveryKindOfBuffer(Kind kind, String notation, ErrorCode code) {
        ProtocolException e = org.assertj.core.api.Assertions.catchThrowableOfType(ProtocolException.class,
                () -> FrameCodec.decode(kind.make().apply(Hex.parse(notation)), Settings.DEFAULT));
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(code);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void encodeDataFromEveryKindOfBuffer(Kind kind) {
        byte[] body = {1, 2, 3, 4, 5};
        ByteBuffer src = kind.make().apply(body);
        ByteBuffer wire = FrameCodec.encodeData(9, src, true);
        assertThat(src.hasRemaining()).isFalse();
        assertThat(Hex.hex(wire)).isEqualTo(Hex.hex(Hex.parse("03 01 00000009 0102030405")));
        assertThat(Hex.hex(FrameCodec.encode(new Frame.Data(9, kind.make().apply(body), true))))
                .isEqualTo(Hex.hex(Hex.parse("03 01 00000009 0102030405")));
    }

    static Stream<Kind> kinds() {
        return KINDS.stream();
    }
}
