package io.wstunnel.srv;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.Subprotocol;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * A wstunnel.v2 test agent over the JDK WebSocket client (ws:// or wss://) that speaks raw frames,
 * so tests can play any agent behaviour. {@code connect} returns only after the HELLO exchange.
 */
public final class FrameAgent extends V2Agent {
    private final MessageSocket<Frame> socket;

    private FrameAgent(MessageSocket<Frame> socket) {
        super(socket.messages, socket.closed);
        this.socket = socket;
    }

    public static FrameAgent connect(int port, String token) throws Exception {
        return connect(port, token, Settings.DEFAULT);
    }

    public static FrameAgent connect(int port, String token, Settings mine) throws Exception {
        return connect(MessageSocket.tunnel(port), token, null, Map.of(), mine);
    }

    /** With extra upgrade request headers (e.g. X-Client-Version, Authorization). */
    public static FrameAgent connect(int port, String token, Map<String, String> headers) throws Exception {
        return connect(MessageSocket.tunnel(port), token, null, headers, Settings.DEFAULT);
    }

    /** Over wss:// (or any {@code tunnel} URI), trusting what {@code ssl} trusts. */
    public static FrameAgent connect(URI tunnel, String token, SSLContext ssl, Map<String, String> headers)
            throws Exception {
        return connect(tunnel, token, ssl, headers, Settings.DEFAULT);
    }

    private static FrameAgent connect(URI tunnel, String token, SSLContext ssl, Map<String, String> headers,
                                      Settings mine) throws Exception {
        FrameAgent a = new FrameAgent(MessageSocket.open(tunnel, Subprotocol.V2, token, headers, ssl,
                m -> FrameCodec.decode(ByteBuffer.wrap(m), mine)));
        a.hello(mine);
        return a;
    }

    @Override
    public synchronized void send(Frame f) throws Exception {
        socket.sendBinary(FrameCodec.encode(f), true);
    }

    /** Sends {@code message} as one binary message, as it is: for frames the codec refuses to encode. */
    public synchronized void sendRaw(byte[] message) throws Exception {
        socket.sendBinary(ByteBuffer.wrap(message), true);
    }

    @Override
    public void abort() {
        socket.abort();
    }
}
