package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Exact bytes on the wire, written by hand from PROTOCOL.md: any layout change fails here. */
class FrameCodecLayoutTest {

    private static void assertLayout(Frame f, String notation) {
        byte[] expected = Hex.parse(notation);
        assertThat(Hex.hex(FrameCodec.encode(f))).as("encode %s", f).isEqualTo(Hex.hex(expected));
        assertThat(FrameCodec.decode(ByteBuffer.wrap(expected), Settings.DEFAULT)).as("decode").isEqualTo(f);
    }

    @Test
    void hello() {
        assertLayout(new Frame.Hello(Settings.DEFAULT), """
                00 00 00000000
                0001 00040000  ; INITIAL_WINDOW 262144
                0002 00000100  ; MAX_CONCURRENT_STREAMS 256
                0003 00010000  ; MAX_FRAME_PAYLOAD 65536
                0004 00010000  ; MAX_HEAD_SIZE 65536
                """);
        assertLayout(new Frame.Hello(new Settings(0x7fffffff, 1, 0x400, 0x1000000)), """
                00 00 00000000 0001 7fffffff 0002 00000001 0003 00000400 0004 01000000
                """);
    }

    @Test
    void open() {
        assertLayout(new Frame.Open(1, StreamKind.HTTP, new RequestHead("GET", "/x?y", "h:1", "https",
                Headers.of("Accept", "*/*", "A", "")), true), """
                01 01 00000001
                00
                0003 "GET" 0004 "/x?y" 0003 "h:1" 0005 "https"
                0002 0006 "Accept" 0003 "*/*" 0001 "A" 0000
                """);
        assertLayout(new Frame.Open(0x12345678, StreamKind.WEBSOCKET, new RequestHead("GET", "/", "", "", Headers.EMPTY), false), """
                01 00 12345678 01 0003 "GET" 0001 "/" 0000 0000 0000
                """);
        assertLayout(new Frame.Open(2, StreamKind.TCP, new RequestHead("CONNECT", "db", "", "", Headers.EMPTY), false), """
                01 00 00000002 02 0007 "CONNECT" 0002 "db" 0000 0000 0000
                """);
        // UTF-8, lengths in bytes: é = c3a9, € = e282ac
        assertLayout(new Frame.Open(3, StreamKind.HTTP, new RequestHead("GET", "/é", "a", "http", Headers.of("X", "€")), false), """
                01 00 00000003 00 0003 "GET" 0003 2fc3a9 0001 "a" 0004 "http" 0001 0001 "X" 0003 e282ac
                """);
    }

    @Test
    void reply() {
        assertLayout(new Frame.Reply(1, new ResponseHead(200, "OK", Headers.of("Content-Length", "2")), false), """
                02 00 00000001 00c8 0002 "OK" 0001 000e "Content-Length" 0001 "2"
                """);
        assertLayout(new Frame.Reply(0x7fffffff, new ResponseHead(999, "", Headers.EMPTY), true), """
                02 01 7fffffff 03e7 0000 0000
                """);
    }

    @Test
    void data() {
        assertLayout(new Frame.Data(1, ByteBuffer.wrap(new byte[] {'h', 'i'}), true), "03 01 00000001 6869");
        assertLayout(new Frame.Data(0x100, ByteBuffer.allocate(0), true), "03 01 00000100");
        assertLayout(new Frame.Data(2, ByteBuffer.wrap(new byte[] {0, -1}), false), "03 00 00000002 00ff");
    }

    @Test
    void windowUpdate() {
        assertLayout(new Frame.WindowUpdate(5, 0x20000), "04 00 00000005 00020000");
        assertLayout(new Frame.WindowUpdate(1, 0x7fffffff), "04 00 00000001 7fffffff");
    }

    @Test
    void reset() {
        assertLayout(new Frame.Reset(3, ErrorCode.REFUSED_STREAM, "full"), "05 00 00000003 00000007 \"full\"");
        assertLayout(new Frame.Reset(3, ErrorCode.UPSTREAM_ERROR, ""), "05 00 00000003 00000010");
    }

    @Test
    void goAway() {
        assertLayout(new Frame.GoAway(7, ErrorCode.GOING_AWAY, "bye"), "06 00 00000000 00000007 00000011 \"bye\"");
        assertLayout(new Frame.GoAway(0, ErrorCode.NO_ERROR, ""), "06 00 00000000 00000000 00000000");
    }

    @Test
    void wireCodesMatchTheSpecTables() {
        assertThat(FrameType.HELLO.code()).isEqualTo(0x0);
        assertThat(FrameType.OPEN.code()).isEqualTo(0x1);
        assertThat(FrameType.REPLY.code()).isEqualTo(0x2);
        assertThat(FrameType.DATA.code()).isEqualTo(0x3);
        assertThat(FrameType.WINDOW_UPDATE.code()).isEqualTo(0x4);
        assertThat(FrameType.RESET.code()).isEqualTo(0x5);
        assertThat(FrameType.GOAWAY.code()).isEqualTo(0x6);
        assertThat(StreamKind.HTTP.code()).isEqualTo(0);
        assertThat(StreamKind.WEBSOCKET.code()).isEqualTo(1);
        assertThat(StreamKind.TCP.code()).isEqualTo(2);
        assertThat(ErrorCode.NO_ERROR.code()).isEqualTo(0x0);
        assertThat(ErrorCode.PROTOCOL_ERROR.code()).isEqualTo(0x1);
        assertThat(ErrorCode.INTERNAL_ERROR.code()).isEqualTo(0x2);
        assertThat(ErrorCode.FLOW_CONTROL_ERROR.code()).isEqualTo(0x3);
        assertThat(ErrorCode.STREAM_CLOSED.code()).isEqualTo(0x5);
        assertThat(ErrorCode.FRAME_TOO_LARGE.code()).isEqualTo(0x6);
        assertThat(ErrorCode.REFUSED_STREAM.code()).isEqualTo(0x7);
        assertThat(ErrorCode.CANCEL.code()).isEqualTo(0x8);
        assertThat(ErrorCode.CONNECT_ERROR.code()).isEqualTo(0xa);
        assertThat(ErrorCode.UPSTREAM_ERROR.code()).isEqualTo(0x10);
        assertThat(ErrorCode.GOING_AWAY.code()).isEqualTo(0x11);
        assertThat(ErrorCode.POLICY_VIOLATION.code()).isEqualTo(0x12);
        assertThat(Settings.ID_INITIAL_WINDOW).isEqualTo(1);
        assertThat(Settings.ID_MAX_CONCURRENT_STREAMS).isEqualTo(2);
        assertThat(Settings.ID_MAX_FRAME_PAYLOAD).isEqualTo(3);
        assertThat(Settings.ID_MAX_HEAD_SIZE).isEqualTo(4);
        assertThat(FrameCodec.HEADER_SIZE).isEqualTo(6);
        assertThat(FrameCodec.FLAG_END_STREAM).isEqualTo(1);
        assertThat(Subprotocol.V2).isEqualTo("wstunnel.v2");
    }

    @Test
    void closeCodesMatchSection7() {
        assertThat(ErrorCode.NO_ERROR.closeCode()).isEqualTo(1000);
        assertThat(ErrorCode.CANCEL.closeCode()).isEqualTo(1000);
        assertThat(ErrorCode.GOING_AWAY.closeCode()).isEqualTo(1001);
        assertThat(ErrorCode.PROTOCOL_ERROR.closeCode()).isEqualTo(1002);
        assertThat(ErrorCode.FLOW_CONTROL_ERROR.closeCode()).isEqualTo(1002);
        assertThat(ErrorCode.STREAM_CLOSED.closeCode()).isEqualTo(1002);
        assertThat(ErrorCode.FRAME_TOO_LARGE.closeCode()).isEqualTo(1009);
        assertThat(ErrorCode.POLICY_VIOLATION.closeCode()).isEqualTo(1008);
        assertThat(ErrorCode.INTERNAL_ERROR.closeCode()).isEqualTo(1011);
        assertThat(ErrorCode.REFUSED_STREAM.closeCode()).isEqualTo(1011);
        assertThat(ErrorCode.CONNECT_ERROR.closeCode()).isEqualTo(1011);
        assertThat(ErrorCode.UPSTREAM_ERROR.closeCode()).isEqualTo(1011);
    }
}
