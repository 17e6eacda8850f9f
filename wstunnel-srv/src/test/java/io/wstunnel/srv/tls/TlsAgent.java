package io.wstunnel.srv.tls;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.Subprotocol;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/** A raw wstunnel.v2 agent over wss:// with a JDK WebSocket client and the given SSLContext. */
public final class TlsAgent implements AutoCloseable {
    public final BlockingQueue<Frame> frames;
    private final WebSocket ws;

    private TlsAgent(WebSocket ws, BlockingQueue<Frame> frames) {
        this.ws = ws;
        this.frames = frames;
    }

    public static TlsAgent connect(URI tunnel, String token, SSLContext ssl, Map<String, String> headers) throws Exception {
        BlockingQueue<Frame> q = new LinkedBlockingQueue<>();
        Settings mine = Settings.DEFAULT;
        WebSocket.Builder b = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build()
                .newWebSocketBuilder()
                .subprotocols(Subprotocol.V2)
                .header("Origin", token)
                .connectTimeout(Duration.ofSeconds(5));
        headers.forEach(b::header);
        WebSocket ws = b.buildAsync(tunnel, new WebSocket.Listener() {
            private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

            @Override
            public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                partial.writeBytes(bytes);
                if (last) {
                    q.add(FrameCodec.decode(ByteBuffer.wrap(partial.toByteArray()), mine));
                    partial.reset();
                }
                w.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
        TlsAgent a = new TlsAgent(ws, q);
        a.send(new Frame.Hello(mine));
        if (!(a.next() instanceof Frame.Hello)) {
            throw new AssertionError("expected HELLO first");
        }
        return a;
    }

    public synchronized void send(Frame f) throws Exception {
        ws.sendBinary(FrameCodec.encode(f), true).get(5, TimeUnit.SECONDS);
    }

    public Frame next() throws InterruptedException {
        Frame f = frames.poll(10, TimeUnit.SECONDS);
        if (f == null) {
            throw new AssertionError("no frame within 10 s");
        }
        return f;
    }

    @SuppressWarnings("unchecked")
    public <T extends Frame> T next(Class<T> type) throws InterruptedException {
        while (true) {
            Frame f = next();
            if (type.isInstance(f)) {
                return (T) f;
            }
        }
    }

    @Override
    public void close() {
        ws.abort();
    }
}
