package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class FrameCodecRoundTripTest {
    static final Settings BIG = new Settings(Integer.MAX_VALUE, Integer.MAX_VALUE,
            Settings.MAX_FRAME_PAYLOAD, Settings.MAX_FRAME_PAYLOAD);

    static Frame roundTrip(Frame f, Settings limits) {
        ByteBuffer wire = FrameCodec.encode(f);
        assertThat(wire.position()).isZero();
        Frame back = FrameCodec.decode(wire, limits);
        assertThat(wire.hasRemaining()).as("message consumed").isFalse();
        assertThat(back).isEqualTo(f);
        assertThat(back.type()).isEqualTo(f.type());
        assertThat(back.streamId()).isEqualTo(f.streamId());
        return back;
    }

    static Frame roundTrip(Frame f) {
        return roundTrip(f, Settings.DEFAULT);
    }

    static Stream<Frame> samples() {
        return Stream.of(
                new Frame.Hello(Settings.DEFAULT),
                new Frame.Hello(new Settings(1, 1, Settings.MIN_FRAME_PAYLOAD, Settings.MIN_HEAD_SIZE)),
                new Frame.Hello(new Settings(Integer.MAX_VALUE, Integer.MAX_VALUE, Settings.MAX_FRAME_PAYLOAD, Settings.MAX_FRAME_PAYLOAD)),
                new Frame.Open(1, StreamKind.HTTP, new RequestHead("GET", "/", "h", "http", Headers.EMPTY), true),
                new Frame.Open(3, StreamKind.WEBSOCKET, new RequestHead("GET", "/ws?x=1", "example.org", "https",
                        Headers.of("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "13")), false),
                new Frame.Open(5, StreamKind.TCP, new RequestHead("CONNECT", "db:5432", "", "", Headers.EMPTY), false),
                new Frame.Open(FrameCodec.MAX_STREAM_ID, StreamKind.HTTP, new RequestHead("POST", "/a%20b?q=é", "[::1]:80", "http",
                        Headers.of("Content-Length", "0", "X-Dup", "1", "x-dup", "2")), false),
                new Frame.Reply(1, new ResponseHead(200, "OK", Headers.of("Content-Length", "2")), false),
                new Frame.Reply(2, new ResponseHead(100, "", Headers.EMPTY), true),
                new Frame.Reply(4, new ResponseHead(999, "Custom", Headers.EMPTY), false),
                new Frame.Reply(6, new ResponseHead(101, "Switching Protocols", Headers.of("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")), false),
                new Frame.Data(1, ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII)), true),
                new Frame.Data(1, ByteBuffer.allocate(0), true),
                new Frame.Data(7, ByteBuffer.allocate(0), false),
                new Frame.Data(9, ByteBuffer.wrap(new byte[] {0, (byte) 0xff, 0x7f, (byte) 0x80}), false),
                new Frame.WindowUpdate(1, 1),
                new Frame.WindowUpdate(FrameCodec.MAX_STREAM_ID, Integer.MAX_VALUE),
                new Frame.Reset(1, ErrorCode.CANCEL, "caller went away"),
                new Frame.Reset(2, ErrorCode.NO_ERROR, ""),
                new Frame.GoAway(0, ErrorCode.NO_ERROR, ""),
                new Frame.GoAway(FrameCodec.MAX_STREAM_ID, ErrorCode.GOING_AWAY, "shutting down ✓"));
    }

    @ParameterizedTest
    @MethodSource("samples")
    void everySampleRoundTrips(Frame f) {
        roundTrip(f);
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void everyErrorCodeRoundTripsInResetAndGoAway(ErrorCode code) {
        roundTrip(new Frame.Reset(11, code, code.name()));
        roundTrip(new Frame.GoAway(11, code, code.name()));
    }

    @ParameterizedTest
    @EnumSource(StreamKind.class)
    void everyStreamKindRoundTrips(StreamKind kind) {
        roundTrip(new Frame.Open(13, kind, new RequestHead("GET", "/", "a", "http", Headers.EMPTY), false));
    }

    @Test
    void everyFrameTypeIsCoveredBySamples() {
        assertThat(samples().map(Frame::type).distinct()).containsExactlyInAnyOrder(FrameType.values());
    }

    @Test
    void emptyDataWithEndStream() {
        Frame.Data d = (Frame.Data) roundTrip(new Frame.Data(5, ByteBuffer.allocate(0), true));
        assertThat(d.length()).isZero();
        assertThat(d.endStream()).isTrue();
        assertThat(FrameCodec.encode(d).remaining()).isEqualTo(FrameCodec.HEADER_SIZE);
    }

    @Test
    void unicodeEverywhere() {
        Headers h = Headers.of("X-Name", "Zürich 東京 🚀", "X-Émoji-Name", "𝄞", "X-Empty", "");
        Frame.Open o = (Frame.Open) roundTrip(new Frame.Open(1, StreamKind.HTTP,
                new RequestHead("GET", "/ünï/€?q=ß", "bücher.example", "https", h), false));
        assertThat(o.head().headers().first("x-name")).isEqualTo("Zürich 東京 🚀");
        roundTrip(new Frame.Reply(1, new ResponseHead(404, "Nicht gefunden – ✗", h), false));
        roundTrip(new Frame.Reset(1, ErrorCode.CONNECT_ERROR, "connexion refusée ✗ 🚫"));
    }

    @Test
    void manyHeaders() {
        List<Header> list = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            list.add(new Header("X-H-" + i, "value " + i));
        }
        Headers hs = new Headers(list);
        Frame.Open o = (Frame.Open) roundTrip(new Frame.Open(1, StreamKind.HTTP, new RequestHead("GET", "/", "a", "http", hs), false), BIG);
        assertThat(o.head().headers().fields()).containsExactlyElementsOf(list);
    }

    @Test
    void maximumHeaderCountAndStringLength() {
        List<Header> list = new ArrayList<>();
        for (int i = 0; i < FrameCodec.MAX_STRING; i++) {
            list.add(new Header("a", ""));
        }
        roundTrip(new Frame.Reply(1, new ResponseHead(200, "", new Headers(list)), false), BIG);
        String longest = "x".repeat(FrameCodec.MAX_STRING);
        roundTrip(new Frame.Open(1, StreamKind.HTTP, new RequestHead("GET", longest, "a", "http", Headers.of("A", longest)), false), BIG);

        list.add(new Header("a", ""));
        assertThatThrownBy(() -> FrameCodec.encode(new Frame.Reply(1, new ResponseHead(200, "", new Headers(list)), false)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameCodec.encode(new Frame.Open(1, StreamKind.HTTP,
                new RequestHead("GET", longest + "y", "a", "http", Headers.EMPTY), false)))
                .isInstanceOf(IllegalArgumentException.class);
        // the limit is in UTF-8 bytes, not chars
        assertThatThrownBy(() -> FrameCodec.encode(new Frame.Reply(1, new ResponseHead(200, "é".repeat(32768), Headers.EMPTY), false)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void dataPayloadExactlyAtTheLimit() {
        byte[] max = new byte[Settings.DEFAULT.maxFramePayload()];
        new java.util.Random(1).nextBytes(max);
        Frame.Data d = (Frame.Data) roundTrip(new Frame.Data(1, ByteBuffer.wrap(max), true));
        assertThat(d.length()).isEqualTo(Settings.DEFAULT.maxFramePayload());

        byte[] huge = new byte[Settings.MAX_FRAME_PAYLOAD];
        roundTrip(new Frame.Data(1, ByteBuffer.wrap(huge), false), BIG);
        Settings small = new Settings(1, 1, Settings.MIN_FRAME_PAYLOAD, Settings.MIN_HEAD_SIZE);
        roundTrip(new Frame.Data(1, ByteBuffer.wrap(new byte[Settings.MIN_FRAME_PAYLOAD]), false), small);
    }

    @Test
    void headExactlyAtTheLimit() {
        int limit = Settings.MIN_HEAD_SIZE;
        Settings small = new Settings(1, 1, Settings.MIN_FRAME_PAYLOAD, limit);
        // OPEN payload: kind 1 + "GET" 5 + "/" 3 + "a" 3 + "http" 6 + count 2 + name "X" 3 + value 2+n
        int n = limit - (1 + 5 + 3 + 3 + 6 + 2 + 3 + 2);
        Frame.Open open = new Frame.Open(1, StreamKind.HTTP, new RequestHead("GET", "/", "a", "http", Headers.of("X", "v".repeat(n))), false);
        assertThat(FrameCodec.encode(open).remaining()).isEqualTo(FrameCodec.HEADER_SIZE + limit);
        roundTrip(open, small);
        // REPLY payload: status 2 + reason 2 + count 2 + name "X" 3 + value 2+n
        int m = limit - (2 + 2 + 2 + 3 + 2);
        Frame.Reply reply = new Frame.Reply(1, new ResponseHead(200, "", Headers.of("X", "v".repeat(m))), false);
        assertThat(FrameCodec.encode(reply).remaining()).isEqualTo(FrameCodec.HEADER_SIZE + limit);
        roundTrip(reply, small);
    }

    @Test
    void controlFrameExactlyAtTheLimitDecodes() {
        // RESET payload of exactly MAX_CONTROL_PAYLOAD: the decoder accepts it though our encoder never makes one
        ByteBuffer b = ByteBuffer.allocate(FrameCodec.HEADER_SIZE + FrameCodec.MAX_CONTROL_PAYLOAD);
        b.put((byte) 5).put((byte) 0).putInt(1).putInt(8);
        while (b.hasRemaining()) {
            b.put((byte) 'r');
        }
        Frame.Reset r = (Frame.Reset) FrameCodec.decode(b.flip(), Settings.DEFAULT);
        assertThat(r.reason()).hasSize(FrameCodec.MAX_CONTROL_PAYLOAD - 4);
        assertThat(r.code()).isEqualTo(ErrorCode.CANCEL);
    }

    @Test
    void encodeDoesNotConsumeTheDataRecordPayload() {
        ByteBuffer payload = ByteBuffer.wrap(new byte[] {1, 2, 3});
        Frame.Data d = new Frame.Data(1, payload, false);
        FrameCodec.encode(d);
        FrameCodec.encode(d);
        assertThat(payload.remaining()).isEqualTo(3);
        assertThat(FrameCodec.encode(d).remaining()).isEqualTo(9);
    }

    @Test
    void encodeDataConsumesSourceAndHonoursPosition() {
        ByteBuffer src = ByteBuffer.wrap(new byte[] {9, 1, 2, 3, 9});
        src.position(1).limit(4);
        ByteBuffer wire = FrameCodec.encodeData(3, src, true);
        assertThat(src.hasRemaining()).isFalse();
        assertThat(Hex.hex(wire)).isEqualTo(Hex.hex(Hex.parse("03 01 00000003 010203")));
    }

    @Test
    void decodedDataPayloadIsReadOnlyView() {
        Frame.Data d = (Frame.Data) FrameCodec.decode(FrameCodec.encode(new Frame.Data(1, ByteBuffer.wrap(new byte[] {1, 2}), false)),
                Settings.DEFAULT);
        assertThat(d.payload().isReadOnly()).isTrue();
        assertThat(d.payload().position()).isZero();
        assertThat(Hex.bytes(d.payload())).containsExactly(1, 2);
    }

    @Test
    void longReasonsAreCutToMaxReasonBytesOnACharacterBoundary() {
        Frame.Reset r = (Frame.Reset) FrameCodec.decode(FrameCodec.encode(new Frame.Reset(1, ErrorCode.CANCEL, "x".repeat(5000))), Settings.DEFAULT);
        assertThat(r.reason()).isEqualTo("x".repeat(FrameCodec.MAX_REASON_BYTES));

        // 1023 ASCII bytes + a 3-byte '€' would cut the euro sign in half: it is dropped whole
        String euro = "a".repeat(FrameCodec.MAX_REASON_BYTES - 1) + "€€";
        Frame.GoAway g = (Frame.GoAway) FrameCodec.decode(FrameCodec.encode(new Frame.GoAway(1, ErrorCode.NO_ERROR, euro)), Settings.DEFAULT);
        assertThat(g.reason()).isEqualTo("a".repeat(FrameCodec.MAX_REASON_BYTES - 1));

        // 4-byte characters (surrogate pairs in Java) are never split either
        String clef = "𝄞".repeat(300); // 1200 bytes
        Frame.Reset c = (Frame.Reset) FrameCodec.decode(FrameCodec.encode(new Frame.Reset(1, ErrorCode.CANCEL, clef)), Settings.DEFAULT);
        assertThat(c.reason()).isEqualTo("𝄞".repeat(256));

        // multibyte reason longer than 1024 chars still fits a control frame
        ByteBuffer wire = FrameCodec.encode(new Frame.Reset(1, ErrorCode.CANCEL, "€".repeat(2000)));
        assertThat(wire.remaining()).isLessThanOrEqualTo(FrameCodec.HEADER_SIZE + 4 + FrameCodec.MAX_REASON_BYTES);
        assertThat(((Frame.Reset) FrameCodec.decode(wire, Settings.DEFAULT)).reason()).isEqualTo("€".repeat(341));
    }

    @Test
    void nullReasonEncodesEmpty() {
        Frame.Reset r = (Frame.Reset) FrameCodec.decode(FrameCodec.encode(new Frame.Reset(1, ErrorCode.CANCEL, null)), Settings.DEFAULT);
        assertThat(r.reason()).isEmpty();
        Frame.GoAway g = (Frame.GoAway) FrameCodec.decode(FrameCodec.encode(new Frame.GoAway(1, ErrorCode.CANCEL, null)), Settings.DEFAULT);
        assertThat(g.reason()).isEmpty();
    }

    @Test
    void encoderRefusesFramesTheDecoderWouldReject() {
        RequestHead get = new RequestHead("GET", "/", "a", "http", Headers.EMPTY);
        List<Frame> invalid = List.of(
                new Frame.Data(0, ByteBuffer.allocate(0), false),
                new Frame.Data(-1, ByteBuffer.allocate(0), false),
                new Frame.Open(0, StreamKind.HTTP, get, false),
                new Frame.Open(Integer.MIN_VALUE, StreamKind.HTTP, get, false),
                new Frame.Open(1, StreamKind.HTTP, new RequestHead("", "/", "a", "http", Headers.EMPTY), false),
                new Frame.Open(1, StreamKind.HTTP, new RequestHead("GET", "/", "a", "http", Headers.of("", "v")), false),
                new Frame.Reply(0, new ResponseHead(200, "", Headers.EMPTY), false),
                new Frame.Reply(1, new ResponseHead(99, "", Headers.EMPTY), false),
                new Frame.Reply(1, new ResponseHead(1000, "", Headers.EMPTY), false),
                new Frame.Reply(1, new ResponseHead(65736, "", Headers.EMPTY), false), // would wrap to 200 in 16 bits
                new Frame.Reply(1, new ResponseHead(-1, "", Headers.EMPTY), false),
                new Frame.Reply(1, new ResponseHead(200, "", Headers.of("", "v")), false),
                new Frame.WindowUpdate(0, 1),
                new Frame.WindowUpdate(1, 0),
                new Frame.WindowUpdate(1, -5),
                new Frame.Reset(0, ErrorCode.CANCEL, ""),
                new Frame.GoAway(-1, ErrorCode.NO_ERROR, ""));
        for (Frame f : invalid) {
            assertThatThrownBy(() -> FrameCodec.encode(f)).as(f.toString()).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> FrameCodec.encodeData(0, ByteBuffer.allocate(1), false)).isInstanceOf(IllegalArgumentException.class);
    }
}
