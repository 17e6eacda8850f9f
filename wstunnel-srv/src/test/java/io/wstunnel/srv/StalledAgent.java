package io.wstunnel.srv;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * An agent socket that upgrades and then never reads again: it has a tiny receive buffer, so
 * whatever the server answers soon piles up on the server's side. It writes WebSocket frames itself
 * (masked with key 0), so it may send whatever it likes for as long as the server reads.
 */
public final class StalledAgent implements AutoCloseable {
    public static final int OP_BINARY = 0x2;
    public static final int OP_PING = 0x9;

    private final Socket socket;
    private final OutputStream out;

    private StalledAgent(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
    }

    /**
     * Upgrades with the token as Origin, offering {@code subprotocol} (null: none, the legacy
     * framing), reads the 101 head and nothing after it.
     */
    public static StalledAgent upgrade(int port, String token, String subprotocol) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(1024); // before connect: the window the server sees stays tiny
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        String req = "GET /_tunnel HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (subprotocol == null ? "" : "Sec-WebSocket-Protocol: " + subprotocol + "\r\n")
                + "Origin: " + token + "\r\n\r\n";
        s.getOutputStream().write(req.getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = s.getInputStream(); // unbuffered: not one byte past the head is read
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                s.close();
                throw new IOException("closed during upgrade: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
        }
        if (!head.toString(StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 101")) {
            s.close();
            throw new IOException("upgrade refused: " + head.toString(StandardCharsets.ISO_8859_1));
        }
        return new StalledAgent(s);
    }

    /**
     * Writes {@code count} frames, the i-th carrying {@code payload.apply(i)}, in one write.
     *
     * @return false once the server has closed the connection
     */
    public boolean send(int opcode, IntFunction<byte[]> payload, int count) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            byte[] p = payload.apply(i);
            b.write(0x80 | opcode);
            if (p.length < 126) {
                b.write(0x80 | p.length);
            } else {
                b.write(0x80 | 126);
                b.write(p.length >> 8);
                b.write(p.length);
            }
            b.writeBytes(new byte[4]); // mask key 0: the payload goes as it is
            b.writeBytes(p);
        }
        try {
            out.write(b.toByteArray());
            out.flush();
            return true;
        } catch (IOException closedByServer) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
