package io.wstunnel.srv;

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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A test agent that speaks raw wstunnel.v2 frames, so tests can play any agent behaviour. */
final class FrameAgent implements AutoCloseable {
    final BlockingQueue<Frame> frames;
    final CompletableFuture<Integer> closed;
    private final WebSocket ws;

    /** What the server announced in its HELLO. */
    volatile Settings serverSettings;

    private FrameAgent(WebSocket ws, BlockingQueue<Frame> frames, CompletableFuture<Integer> closed) {
        this.ws = ws;
        this.frames = frames;
        this.closed = closed;
    }

    static FrameAgent connect(int port, String token, Settings mine) throws Exception {
        BlockingQueue<Frame> q = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .subprotocols(Subprotocol.V2)
                .header("Origin", token)
                .connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/_tunnel"), new WebSocket.Listener() {
                    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

                    @Override
                    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                        byte[] b = new byte[data.remaining()];
                        data.get(b);
                        partial.writeBytes(b);
                        if (last) {
                            q.add(FrameCodec.decode(ByteBuffer.wrap(partial.toByteArray()), mine));
                            partial.reset();
                        }
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
                        closed.complete(statusCode);
                        return null;
                    }

                    @Override
                    public void onError(WebSocket w, Throwable error) {
                        closed.complete(-1);
                    }
                }).get(5, TimeUnit.SECONDS);
        FrameAgent a = new FrameAgent(ws, q, closed);
        a.send(new Frame.Hello(mine));
        Frame hello = a.next();
        if (!(hello instanceof Frame.Hello h)) {
            throw new AssertionError("expected HELLO first, got " + hello);
        }
        a.serverSettings = h.settings();
        return a;
    }

    synchronized void send(Frame f) throws Exception {
        ws.sendBinary(FrameCodec.encode(f), true).get(5, TimeUnit.SECONDS);
    }

    Frame next() throws InterruptedException {
        Frame f = frames.poll(10, TimeUnit.SECONDS);
        if (f == null) {
            throw new AssertionError("no frame within 10 s");
        }
        return f;
    }

    @SuppressWarnings("unchecked")
    <T extends Frame> T next(Class<T> type) throws InterruptedException {
        while (true) {
            Frame f = next();
            if (type.isInstance(f)) {
                return (T) f;
            }
        }
    }

    void abort() {
        ws.abort();
    }

    @Override
    public void close() {
        ws.abort();
    }
}
