package io.wstunnel.srv.limits;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.Subprotocol;
import io.wstunnel.srv.V2Agent;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A raw-socket wstunnel.v2 test agent: writes WebSocket frames itself (mask key 0), so it can send
 * anything, fast (a flood of 100k frames takes milliseconds), and records every frame it receives.
 */
final class WsAgent extends V2Agent {
    /** The reason in the server's close frame; "" until one arrives. */
    volatile String closeReason = "";
    private final Socket socket;
    private final OutputStream out;
    private final Thread reader;

    private WsAgent(Socket socket) throws IOException {
        super(new LinkedBlockingQueue<>(), new CompletableFuture<>());
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        this.reader = new Thread(this::readLoop, "ws-agent-reader");
        this.reader.setDaemon(true);
    }

    /** Upgrades only; sends nothing else (no HELLO). */
    static WsAgent upgrade(int port, String token) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(15_000);
        String req = "GET /_tunnel HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: " + Subprotocol.V2 + "\r\nOrigin: " + token + "\r\n\r\n";
        s.getOutputStream().write(req.getBytes(StandardCharsets.ISO_8859_1));
        DataInputStream in = new DataInputStream(s.getInputStream());
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed during upgrade: " + head);
            }
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            s.close();
            throw new IOException("upgrade refused: " + head.toString().lines().findFirst().orElse(""));
        }
        WsAgent a = new WsAgent(s);
        a.reader.start();
        return a;
    }

    /** Upgrades, exchanges HELLOs. */
    static WsAgent connect(int port, String token, Settings mine) throws Exception {
        WsAgent a = upgrade(port, token);
        a.hello(mine);
        return a;
    }

    @Override
    public synchronized void send(Frame f) throws IOException {
        writeFrame(0x2, FrameCodec.encode(f));
        out.flush();
    }

    /** Writes {@code count} copies of a frame in one go (a flood). */
    synchronized void flood(Frame f, int count) {
        try {
        ByteBuffer enc = FrameCodec.encode(f);
        for (int i = 0; i < count; i++) {
            writeFrame(0x2, enc.duplicate());
        }
        out.flush();
        } catch (IOException closedByServer) {
            // the server may close the socket before the flood is written: that is the point
        }
    }

    /** Writes {@code count} messages in one go, the i-th being {@code message.apply(i)} as it is (a flood). */
    synchronized void floodRaw(java.util.function.IntFunction<byte[]> message, int count) {
        try {
            for (int i = 0; i < count; i++) {
                writeFrame(0x2, ByteBuffer.wrap(message.apply(i)));
            }
            out.flush();
        } catch (IOException closedByServer) {
            // the server may close the socket before the flood is written: that is the point
        }
    }

    synchronized void floodPings(int count) {
        try {
        for (int i = 0; i < count; i++) {
            writeFrame(0x9, ByteBuffer.allocate(0));
        }
        out.flush();
        } catch (IOException closedByServer) {
            // the server may close the socket before the flood is written: that is the point
        }
    }

    synchronized void sendText(String text) throws IOException {
        writeFrame(0x1, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        out.flush();
    }

    synchronized void sendRaw(byte[] message) throws IOException {
        writeFrame(0x2, ByteBuffer.wrap(message));
        out.flush();
    }

    private void writeFrame(int opcode, ByteBuffer payload) throws IOException {
        int n = payload.remaining();
        out.write(0x80 | opcode);
        if (n < 126) {
            out.write(0x80 | n);
        } else if (n < 65536) {
            out.write(0x80 | 126);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                out.write((int) ((long) n >> (8 * i)));
            }
        }
        out.write(new byte[4]); // mask key 0: payload goes as is
        byte[] b = new byte[n];
        payload.get(b);
        out.write(b);
    }

    private void readLoop() {
        try {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            ByteArrayOutputStream partial = new ByteArrayOutputStream();
            while (true) {
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                long len = b1 & 0x7f;
                if (len == 126) {
                    len = in.readUnsignedShort();
                } else if (len == 127) {
                    len = in.readLong();
                }
                byte[] payload = new byte[(int) len];
                in.readFully(payload);
                int opcode = b0 & 0x0f;
                if (opcode == 0x8) {
                    int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
                    closeReason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
                    closed.complete(code);
                    return;
                }
                if (opcode == 0x9) {
                    synchronized (this) {
                        writeFrame(0xA, ByteBuffer.wrap(payload));
                        out.flush();
                    }
                    continue;
                }
                if (opcode == 0xA) {
                    continue;
                }
                partial.write(payload);
                if ((b0 & 0x80) != 0) {
                    frames.add(FrameCodec.decode(ByteBuffer.wrap(partial.toByteArray()), Settings.DEFAULT));
                    partial.reset();
                }
            }
        } catch (Exception e) {
            closed.complete(-1);
        }
    }

    @Override
    public void abort() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
