package io.wstunnel.srv;

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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * A JDK {@code java.net.http} WebSocket client for test agents: each whole binary message (its
 * fragments joined) is decoded into an {@code M} and queued in arrival order. Every wait is bounded.
 * Callers that send multi-fragment messages serialise their own sends.
 */
public final class MessageSocket<M> {
    static final long TIMEOUT_SECONDS = 10;

    /** Whole binary messages, decoded, in arrival order. */
    public final BlockingQueue<M> messages = new LinkedBlockingQueue<>();
    /** The close code the server sent (1005 when it sent none), or -1 when the socket failed. */
    public final CompletableFuture<Integer> closed = new CompletableFuture<>();
    /** The reason of the server's close, once {@link #closed} is complete ("" for none). */
    public volatile String closeReason = "";
    private final AtomicInteger pongs = new AtomicInteger();
    private final AtomicLong partialBytes = new AtomicLong();
    private final WebSocket ws;

    private MessageSocket(URI uri, String subprotocol, String origin, Map<String, String> headers, SSLContext ssl,
                          Function<byte[], M> decode) throws Exception {
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (ssl != null) {
            client.sslContext(ssl);
        }
        WebSocket.Builder b = client.build().newWebSocketBuilder()
                .header("Origin", origin)
                .connectTimeout(Duration.ofSeconds(5));
        if (subprotocol != null) {
            b.subprotocols(subprotocol);
        }
        headers.forEach(b::header);
        this.ws = b.buildAsync(uri, new Listener(decode)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Opens a socket to {@code uri} with the token as Origin, the given subprotocol (null: none) and
     * extra headers, over TLS with {@code ssl} when it is not null.
     */
    public static <M> MessageSocket<M> open(URI uri, String subprotocol, String origin, Map<String, String> headers,
                                            SSLContext ssl, Function<byte[], M> decode) throws Exception {
        return new MessageSocket<>(uri, subprotocol, origin, headers, ssl, decode);
    }

    /** ws://127.0.0.1:port/_tunnel */
    public static URI tunnel(int port) {
        return URI.create("ws://127.0.0.1:" + port + "/_tunnel");
    }

    /** The next message, or an AssertionError after {@code seconds}. */
    public static <T> T take(BlockingQueue<T> q, long seconds, String what) throws InterruptedException {
        T m = q.poll(seconds, TimeUnit.SECONDS);
        if (m == null) {
            throw new AssertionError("no " + what + " within " + seconds + " s");
        }
        return m;
    }

    /** The subprotocol the server selected ("" for none). */
    public String subprotocol() {
        return ws.getSubprotocol();
    }

    /** Pongs received so far. */
    public int pongs() {
        return pongs.get();
    }

    /** Bytes received so far of a message whose last fragment has not arrived yet. */
    public long partialBytes() {
        return partialBytes.get();
    }

    public void sendBinary(ByteBuffer data, boolean last) throws Exception {
        ws.sendBinary(data, last).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    public void sendText(String text) throws Exception {
        ws.sendText(text, true).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    public void sendPing() throws Exception {
        ws.sendPing(ByteBuffer.allocate(0)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** Drops the connection without a close handshake. */
    public void abort() {
        ws.abort();
    }

    /** Joins fragments into messages; the JDK calls it one event at a time (demand of one). */
    private final class Listener implements WebSocket.Listener {
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private final Function<byte[], M> decode;

        Listener(Function<byte[], M> decode) {
            this.decode = decode;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            partial.writeBytes(b);
            partialBytes.set(last ? 0 : partial.size());
            if (last) {
                messages.add(decode.apply(partial.toByteArray()));
                partial.reset();
            }
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket w, ByteBuffer message) {
            pongs.incrementAndGet();
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
            closeReason = reason;
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket w, Throwable error) {
            closed.complete(-1);
        }
    }
}
