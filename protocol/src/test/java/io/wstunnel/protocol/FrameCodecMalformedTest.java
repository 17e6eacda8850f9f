package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameCodecMalformedTest {

    static ProtocolException decodeFails(byte[] message, Settings limits) {
        ProtocolException e = catchThrowableOfType(ProtocolException.class,
                () -> FrameCodec.decode(ByteBuffer.wrap(message), limits));
        assertThat(e).as("decoding %s must fail with ProtocolException", Hex.hex(message)).isNotNull();
        return e;
    }

    static void connectionError(String notation, ErrorCode code) {
        connectionError(Hex.parse(notation), code, Settings.DEFAULT);
    }

    static void connectionError(byte[] message, ErrorCode code, Settings limits) {
        ProtocolException e = decodeFails(message, limits);
        assertThat(e.code()).as("%s: %s", Hex.hex(message), e.getMessage()).isEqualTo(code);
        assertThat(e.streamLevel()).as("connection level: %s", e.getMessage()).isFalse();
        assertThat(e.streamId()).isZero();
    }

    static void streamError(String notation, int streamId) {
        byte[] message = Hex.parse(notation);
        ProtocolException e = decodeFails(message, Settings.DEFAULT);
        assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
        assertThat(e.streamLevel()).as("stream level: %s", e.getMessage()).isTrue();
        assertThat(e.streamId()).isEqualTo(streamId);
    }

    static Frame decode(String notation) {
        return FrameCodec.decode(Hex.buf(notation), Settings.DEFAULT);
    }

    // ------------------------------------------------------------------ header

    @Test
    void emptyAndShortMessages() {
        connectionError("", ErrorCode.PROTOCOL_ERROR);
        connectionError("03", ErrorCode.PROTOCOL_ERROR);
        connectionError("03 00", ErrorCode.PROTOCOL_ERROR);
        connectionError("03 00 0000", ErrorCode.PROTOCOL_ERROR);
        connectionError("03 00 000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("00 00 000000", ErrorCode.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x07, 0x08, 0x10, 0x7f, 0x80, 0xff})
    void unknownType(int type) {
        connectionError(String.format("%02x 00 00000001 00000001", type), ErrorCode.PROTOCOL_ERROR);
        connectionError(String.format("%02x 00 00000000", type), ErrorCode.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x02, 0x03, 0x04, 0x80, 0xfe, 0xff})
    void unknownFlagsOnEveryType(int flags) {
        String f = String.format("%02x", flags);
        connectionError("00 " + f + " 00000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("01 " + f + " 00000001 00 0003 \"GET\" 0001 \"/\" 0000 0000 0000", ErrorCode.PROTOCOL_ERROR);
        connectionError("02 " + f + " 00000001 00c8 0000 0000", ErrorCode.PROTOCOL_ERROR);
        connectionError("03 " + f + " 00000001 6869", ErrorCode.PROTOCOL_ERROR);
        connectionError("04 " + f + " 00000001 00000001", ErrorCode.PROTOCOL_ERROR);
        connectionError("05 " + f + " 00000001 00000008", ErrorCode.PROTOCOL_ERROR);
        connectionError("06 " + f + " 00000000 00000000 00000000", ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void endStreamOnlyOnOpenReplyAndData() {
        connectionError("00 01 00000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("04 01 00000001 00000001", ErrorCode.PROTOCOL_ERROR);
        connectionError("05 01 00000001 00000008", ErrorCode.PROTOCOL_ERROR);
        connectionError("06 01 00000000 00000000 00000000", ErrorCode.PROTOCOL_ERROR);
        assertThat(((Frame.Open) decode("01 01 00000001 00 0003 \"GET\" 0001 \"/\" 0000 0000 0000")).endStream()).isTrue();
        assertThat(((Frame.Reply) decode("02 01 00000001 00c8 0000 0000")).endStream()).isTrue();
        assertThat(((Frame.Data) decode("03 01 00000001")).endStream()).isTrue();
    }

    @Test
    void reservedStreamIdBit() {
        connectionError("03 00 80000001 6869", ErrorCode.PROTOCOL_ERROR);
        connectionError("03 00 ffffffff", ErrorCode.PROTOCOL_ERROR);
        connectionError("04 00 80000000 00000001", ErrorCode.PROTOCOL_ERROR);
        connectionError("00 00 80000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("06 00 80000000 00000000 00000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("01 00 80000001 00 0003 \"GET\" 0001 \"/\" 0000 0000 0000", ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void connectionFramesOnlyOnStreamZero() {
        connectionError("00 00 00000001", ErrorCode.PROTOCOL_ERROR);
        connectionError("00 00 7fffffff 0001 00000001", ErrorCode.PROTOCOL_ERROR);
        connectionError("06 00 00000001 00000000 00000000", ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void streamFramesNeverOnStreamZero() {
        connectionError("01 00 00000000 00 0003 \"GET\" 0001 \"/\" 0000 0000 0000", ErrorCode.PROTOCOL_ERROR);
        connectionError("02 00 00000000 00c8 0000 0000", ErrorCode.PROTOCOL_ERROR);
        connectionError("03 00 00000000 6869", ErrorCode.PROTOCOL_ERROR);
        connectionError("03 01 00000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("04 00 00000000 00000001", ErrorCode.PROTOCOL_ERROR);
        connectionError("05 00 00000000 00000008", ErrorCode.PROTOCOL_ERROR);
    }

    // ------------------------------------------------------------------ payload structure

    @Test
    void truncatedStrings() {
        connectionError("01 00 00000001 00 0005 \"GET\"", ErrorCode.PROTOCOL_ERROR);
        connectionError("01 00 00000001 00 0003 \"GET\" 0001 \"/\" 0000 0000", ErrorCode.PROTOCOL_ERROR); // no header count
        connectionError("01 00 00000001 00 0003 \"GET\" 0001 \"/\" 0000 ffff", ErrorCode.PROTOCOL_ERROR);
        connectionError("01 00 00000001 00 00", ErrorCode.PROTOCOL_ERROR); // half a length
        connectionError("01 00 00000001", ErrorCode.PROTOCOL_ERROR); // no kind at all
        connectionError("01 00 00000001 00 0003 \"GET\" 0001 \"/\" 0000 0000 0001 0001 \"a\" 0005 \"b\"", ErrorCode.PROTOCOL_ERROR);
        connectionError("02 00 00000001 00c8 0003 \"O\"", ErrorCode.PROTOCOL_ERROR);
        connectionError("02 00 00000001 00c8 0000 0001 0001 \"a\"", ErrorCode.PROTOCOL_ERROR); // value missing
        connectionError("02 00 00000001 00c8 0000 0001 0001 \"a\" 00", ErrorCode.PROTOCOL_ERROR);
        connectionError("02 00 00000001 00", ErrorCode.PROTOCOL_ERROR);
        connectionError("02 00 00000001", ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void headerCountLargerThanPayloadCanHold() {
        connectionError("02 00 00000001 00c8 0000 ffff", ErrorCode.PROTOCOL_ERROR);
        connectionError("02 00 00000001 00c8 0000 0002 0001 \"a\" 0000", ErrorCode.PROTOCOL_ERROR);
        connectionError("01 00 00000001 00 0003 \"GET\" 0001 \"/\" 0000 0000 8000 00000000", ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void emptyHeaderNameIsAConnectionError() {
        connectionError("02 00 00000001 00c8 0000 0001 0000 0001 \"v\"", ErrorCode.PROTOCOL_ERROR);
        connectionError("01 00 00000001 00 0003 \"GET\" 0001 \"/\" 0000 0000 0001 0000 0000", ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void trailingBytes() {
        connectionError("01 00 00000001 00 0003 \"GET\" 0001 \"/\" 0000 0000 0000 00", ErrorCode.PROTOCOL_ERROR);
        connectionError("02 00 00000001 00c8 0000 0000 ff", ErrorCode.PROTOCOL_ERROR);
        connectionError("04 00 00000001 00000001 00", ErrorCode.PROTOCOL_ERROR);
        connectionError("00 00 00000000 0001 00000001 00", ErrorCode.PROTOCOL_ERROR); // not a multiple of 6
        connectionError("00 00 00000000 0001", ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void truncatedFixedFields() {
        connectionError("04 00 00000001", ErrorCode.PROTOCOL_ERROR);
        connectionError("04 00 00000001 000001", ErrorCode.PROTOCOL_ERROR);
        connectionError("05 00 00000001", ErrorCode.PROTOCOL_ERROR);
        connectionError("05 00 00000001 000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("06 00 00000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("06 00 00000000 00000001 0000", ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void windowUpdateIncrementMustBePositive() {
        connectionError("04 00 00000001 00000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("04 00 00000001 80000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("04 00 00000001 ffffffff", ErrorCode.PROTOCOL_ERROR);
        assertThat(decode("04 00 00000001 7fffffff")).isEqualTo(new Frame.WindowUpdate(1, Integer.MAX_VALUE));
    }

    @Test
    void goAwayLastStreamIdReservedBit() {
        connectionError("06 00 00000000 80000000 00000000", ErrorCode.PROTOCOL_ERROR);
        connectionError("06 00 00000000 ffffffff 00000000", ErrorCode.PROTOCOL_ERROR);
    }

    // ------------------------------------------------------------------ limits

    @Test
    void oversizeDataAgainstSettings() {
        Settings limits = new Settings(1, 1, 1024, 2048);
        byte[] ok = FrameCodec.encode(new Frame.Data(1, ByteBuffer.allocate(1024), false)).array();
        assertThat(FrameCodec.decode(ByteBuffer.wrap(ok), limits)).isInstanceOf(Frame.Data.class);
        byte[] over = FrameCodec.encode(new Frame.Data(1, ByteBuffer.allocate(1025), true)).array();
        connectionError(over, ErrorCode.FRAME_TOO_LARGE, limits);
        // the head limit does not apply to DATA
        connectionError(FrameCodec.encode(new Frame.Data(1, ByteBuffer.allocate(2000), true)).array(), ErrorCode.FRAME_TOO_LARGE, limits);
        connectionError(FrameCodec.encode(new Frame.Data(1, ByteBuffer.allocate(Settings.DEFAULT.maxFramePayload() + 1), true)).array(),
                ErrorCode.FRAME_TOO_LARGE, Settings.DEFAULT);
    }

    @Test
    void oversizeHeadsAgainstSettings() {
        Settings limits = new Settings(1, 1, 4096, 1024);
        Frame.Open open = new Frame.Open(1, StreamKind.HTTP, new RequestHead("GET", "/", "a", "http", Headers.of("X", "v".repeat(1500))), false);
        byte[] openBytes = FrameCodec.encode(open).array();
        connectionError(openBytes, ErrorCode.FRAME_TOO_LARGE, limits);
        assertThat(FrameCodec.decode(ByteBuffer.wrap(openBytes), Settings.DEFAULT)).isEqualTo(open);
        Frame.Reply reply = new Frame.Reply(1, new ResponseHead(200, "", Headers.of("X", "v".repeat(1020))), false);
        connectionError(FrameCodec.encode(reply).array(), ErrorCode.FRAME_TOO_LARGE, limits);
        // the size check comes before parsing: even a garbage head is FRAME_TOO_LARGE
        byte[] garbage = new byte[FrameCodec.HEADER_SIZE + 1025];
        garbage[0] = 0x02;
        garbage[5] = 0x01;
        connectionError(garbage, ErrorCode.FRAME_TOO_LARGE, limits);
    }

    @Test
    void oversizeControlFrames() {
        int n = FrameCodec.MAX_CONTROL_PAYLOAD + 1;
        ByteBuffer reset = ByteBuffer.allocate(6 + n).put((byte) 5).put((byte) 0).putInt(1).putInt(8);
        connectionError(reset.array(), ErrorCode.FRAME_TOO_LARGE, Settings.DEFAULT);
        ByteBuffer goAway = ByteBuffer.allocate(6 + n).put((byte) 6).put((byte) 0).putInt(0);
        connectionError(goAway.array(), ErrorCode.FRAME_TOO_LARGE, Settings.DEFAULT);
        ByteBuffer hello = ByteBuffer.allocate(6 + 6 * 683).put((byte) 0).put((byte) 0).putInt(0); // 4098 bytes
        connectionError(hello.array(), ErrorCode.FRAME_TOO_LARGE, Settings.DEFAULT);
        ByteBuffer wu = ByteBuffer.allocate(6 + n).put((byte) 4).put((byte) 0).putInt(1).putInt(1);
        connectionError(wu.array(), ErrorCode.FRAME_TOO_LARGE, Settings.DEFAULT);
        // even when both settings are larger, control frames stay at 4096
        connectionError(reset.array(), ErrorCode.FRAME_TOO_LARGE, FrameCodecRoundTripTest.BIG);
    }

    // ------------------------------------------------------------------ settings

    @Test
    void outOfRangeSettings() {
        String[] bad = {
            "0001 00000000", "0001 80000000", "0001 ffffffff",
            "0002 00000000", "0002 80000000",
            "0003 00000000", "0003 000003ff", "0003 01000001", "0003 ffffffff",
            "0004 00000000", "0004 000003ff", "0004 01000001", "0004 80000000",
        };
        for (String s : bad) {
            connectionError("00 00 00000000 " + s, ErrorCode.PROTOCOL_ERROR);
            // also when valid settings surround it
            connectionError("00 00 00000000 0001 00000001 " + s + " 0002 00000001", ErrorCode.PROTOCOL_ERROR);
        }
    }

    @Test
    void boundarySettingsAccepted() {
        assertThat(decode("00 00 00000000 0001 00000001 0002 00000001 0003 00000400 0004 00000400"))
                .isEqualTo(new Frame.Hello(new Settings(1, 1, 1024, 1024)));
        assertThat(decode("00 00 00000000 0001 7fffffff 0002 7fffffff 0003 01000000 0004 01000000"))
                .isEqualTo(new Frame.Hello(new Settings(Integer.MAX_VALUE, Integer.MAX_VALUE, 16 << 20, 16 << 20)));
    }

    @Test
    void missingSettingsTakeDefaultsAndUnknownOnesAreIgnored() {
        assertThat(decode("00 00 00000000")).isEqualTo(new Frame.Hello(Settings.DEFAULT));
        assertThat(decode("00 00 00000000 0000 ffffffff 0005 00000000 ffff 80000000 1234 00000001"))
                .isEqualTo(new Frame.Hello(Settings.DEFAULT));
        Frame.Hello h = (Frame.Hello) decode("00 00 00000000 0099 00000000 0002 00000010 0042 ffffffff");
        assertThat(h.settings()).isEqualTo(new Settings(256 * 1024, 16, 64 * 1024, 64 * 1024));
    }

    @Test
    void repeatedSettingLastOneWins() {
        Frame.Hello h = (Frame.Hello) decode("00 00 00000000 0001 00000010 0001 00000020");
        assertThat(h.settings().initialWindow()).isEqualTo(0x20);
    }

    // ------------------------------------------------------------------ stream-level errors

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 99, 1000, 0x7fff, 0xffff})
    void statusOutOfRangeIsAStreamError(int status) {
        streamError(String.format("02 00 00000007 %04x 0000 0000", status), 7);
        streamError(String.format("02 01 7fffffff %04x 0002 \"OK\" 0001 0001 \"a\" 0001 \"b\"", status), 0x7fffffff);
    }

    @Test
    void statusAtTheBoundsIsFine() {
        assertThat(((Frame.Reply) decode("02 00 00000001 0064 0000 0000")).head().status()).isEqualTo(100);
        assertThat(((Frame.Reply) decode("02 00 00000001 03e7 0000 0000")).head().status()).isEqualTo(999);
    }

    @Test
    void statusOutOfRangeInAMalformedReplyIsStillAConnectionError() {
        connectionError("02 00 00000001 0000 0005", ErrorCode.PROTOCOL_ERROR);
        connectionError("02 00 00000001 0000 0000 0000 00", ErrorCode.PROTOCOL_ERROR);
        connectionError("02 00 00000001 0000 0000 0001 0000 0000", ErrorCode.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4, 0x7f, 0x80, 0xff})
    void unknownStreamKindIsAStreamError(int kind) {
        streamError(String.format("01 00 00000005 %02x 0003 \"GET\" 0001 \"/\" 0000 0000 0000", kind), 5);
        // the rest of the payload is not interpreted: a future kind may lay it out differently
        streamError(String.format("01 01 00000009 %02x", kind), 9);
        streamError(String.format("01 00 00000009 %02x ffff ffff", kind), 9);
    }

    @Test
    void emptyMethodIsAStreamError() {
        streamError("01 00 00000003 00 0000 0001 \"/\" 0000 0000 0000", 3);
        connectionError("01 00 00000003 00 0000 0001 \"/\" 0000 0000 0000 00", ErrorCode.PROTOCOL_ERROR);
    }

    // ------------------------------------------------------------------ lenient fields

    @Test
    void unknownErrorCodesDecodeAsInternalError() {
        for (String code : new String[] {"00000004", "00000009", "0000000b", "0000000f", "00000013", "7fffffff", "80000000", "ffffffff"}) {
            Frame.Reset r = (Frame.Reset) decode("05 00 00000001 " + code + " \"why\"");
            assertThat(r.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
            assertThat(r.reason()).isEqualTo("why");
            Frame.GoAway g = (Frame.GoAway) decode("06 00 00000000 00000003 " + code);
            assertThat(g.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
            assertThat(g.lastStreamId()).isEqualTo(3);
        }
        assertThat(ErrorCode.fromCode(0x12)).isEqualTo(ErrorCode.POLICY_VIOLATION);
    }

    @Test
    void invalidUtf8IsReplacedNotRejected() {
        Frame.Reset r = (Frame.Reset) decode("05 00 00000001 00000008 ff c3 \"ok\"");
        assertThat(r.reason()).isEqualTo("\uFFFD\uFFFDok");
        Frame.Reply p = (Frame.Reply) decode("02 00 00000001 00c8 0001 80 0001 0001 \"X\" 0002 c328");
        assertThat(p.head().reason()).isEqualTo("\uFFFD");
        assertThat(p.head().headers().first("x")).isEqualTo("\uFFFD(");
    }

    @Test
    void failedDecodeStillConsumesTheMessage() {
        ByteBuffer b = Hex.buf("04 00 00000001 00000000");
        try {
            FrameCodec.decode(b, Settings.DEFAULT);
        } catch (ProtocolException expected) {
            // fine
        }
        assertThat(b.hasRemaining()).isFalse();
    }
}
