package io.wstunnel.srv.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.Settings;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's own RFC 6455 layer for wstunnel.v2 sockets, driven byte by byte over a plain socket:
 * the handshake, masked frames split anywhere, ping/pong, the close handshake, and the close codes
 * for framing violations.
 */
@Timeout(30)
class RawWebSocketServerTest {
    static final String TOKEN = "raw-websocket-token-0123";
    TunnelServer server;

    @BeforeEach
    void start() {
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0).build());
    }

    @AfterEach
    void stop() {
        server.stop(Duration.ZERO);
    }

    /** A socket after a successful wstunnel.v2 handshake. */
    private Socket handshake() throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout(10_000);
        s.getOutputStream().write(("GET /_tunnel HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Origin: " + TOKEN + "\r\nSec-WebSocket-Protocol: wstunnel.v2\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        String head = readHead(s.getInputStream());
        assertThat(head).startsWith("HTTP/1.1 101 ")
                .containsIgnoringCase("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
                .containsIgnoringCase("Sec-WebSocket-Protocol: wstunnel.v2");
        return s;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed during the head: " + b);
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    record WsFrame(int opcode, byte[] payload) {
        int closeCode() {
            return ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }
    }

    /** Reads one server frame (servers never mask). */
    private static WsFrame read(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int b0 = d.readUnsignedByte();
        int b1 = d.readUnsignedByte();
        assertThat(b1 & 0x80).as("server frames are not masked").isZero();
        long len = b1 & 0x7F;
        if (len == 126) {
            len = d.readUnsignedShort();
        } else if (len == 127) {
            len = d.readLong();
        }
        byte[] p = new byte[(int) len];
        d.readFully(p);
        return new WsFrame(b0 & 0x0F, p);
    }

    private static WsFrame readSkipping(InputStream in, int opcode) throws IOException {
        for (int i = 0; i < 20; i++) {
            WsFrame f = read(in);
            if (f.opcode() == opcode) {
                return f;
            }
        }
        throw new AssertionError("no frame with opcode " + opcode);
    }

    @Test
    void helloSplitIntoSingleBytesIsUnderstoodAndPingsAreAnswered() throws Exception {
        try (Socket s = handshake()) {
            WsFrame hello = read(s.getInputStream());
            assertThat(hello.opcode()).isEqualTo(WsFrames.OP_BINARY);
            assertThat(FrameCodec.decode(ByteBuffer.wrap(hello.payload()), Settings.DEFAULT)).isInstanceOf(Frame.Hello.class);
            byte[] agentHello = WsFrameDecoderTest.clientFrame(true, WsFrames.OP_BINARY,
                    bytes(FrameCodec.encode(new Frame.Hello(Settings.DEFAULT))), 0x5A17C3E1);
            for (byte b : agentHello) {
                s.getOutputStream().write(b);
                s.getOutputStream().flush();
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.agents() == 1);
            s.getOutputStream().write(WsFrameDecoderTest.clientFrame(true, WsFrames.OP_PING, "are you there".getBytes(), 7));
            WsFrame pong = readSkipping(s.getInputStream(), WsFrames.OP_PONG);
            assertThat(new String(pong.payload(), StandardCharsets.UTF_8)).isEqualTo("are you there");

            // close handshake started by the agent: the server echoes the code and closes
            s.getOutputStream().write(WsFrameDecoderTest.clientFrame(true, WsFrames.OP_CLOSE,
                    WsFrames.closePayload(1000, "bye").array(), 99));
            WsFrame close = readSkipping(s.getInputStream(), WsFrames.OP_CLOSE);
            assertThat(close.closeCode()).isEqualTo(1000);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.agents() == 0);
        }
    }

    @Test
    void framingViolationsCloseWithTheirCode() throws Exception {
        record Bad(String what, byte[] frame, int code) {
        }
        byte[] unmasked = {(byte) 0x82, 0x01, 0x00};
        byte[] tooBig = {(byte) 0x82, (byte) 0xFF, 0, 0, 0, 0, 0x7F, 0, 0, 0, 1, 2, 3, 4};
        for (Bad bad : new Bad[] {
                new Bad("unmasked frame", unmasked, 1002),
                new Bad("unknown opcode", WsFrameDecoderTest.clientFrame(true, 0xB, new byte[0], 5), 1002),
                new Bad("message over the frame limit", tooBig, 1009)}) {
            try (Socket s = handshake()) {
                read(s.getInputStream()); // HELLO
                s.getOutputStream().write(bad.frame());
                WsFrame close = readSkipping(s.getInputStream(), WsFrames.OP_CLOSE);
                assertThat(close.closeCode()).as(bad.what()).isEqualTo(bad.code());
                // the server answers nothing more and ends the connection once we close too
                s.getOutputStream().write(WsFrameDecoderTest.clientFrame(true, WsFrames.OP_CLOSE,
                        WsFrames.closePayload(bad.code(), "").array(), 1));
                assertThat(s.getInputStream().read()).as(bad.what()).isEqualTo(-1);
            }
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.agents() == 0);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }
}
