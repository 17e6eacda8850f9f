package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.undertow.Undertow;
import io.undertow.websockets.WebSocketConnectionCallback;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.core.protocol.version13.Hybi13Handshake;
import io.undertow.websockets.spi.WebSocketHttpExchange;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.Subprotocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.xnio.Pooled;

/**
 * Test-only wstunnel.v2 server written from PROTOCOL.md: accepts the tunnel WebSocket, sends its
 * HELLO, and hands every decoded frame to the test through a queue per connection.
 */
final class FakeServer implements AutoCloseable {
    static final Settings LIMITS = Settings.DEFAULT;

    private final Undertow undertow;
    private final int port;
    private final BlockingQueue<Conn> connections = new LinkedBlockingQueue<>();
    private volatile Settings hello;
    private volatile String selectProtocol = Subprotocol.V2;
    final AtomicInteger handshakes = new AtomicInteger();

    private final String scheme;

    FakeServer(String basePath, Settings hello) {
        this(basePath, hello, null);
    }

    /** @param tls serve wss:// with this context, or null for ws:// */
    FakeServer(String basePath, Settings hello, javax.net.ssl.SSLContext tls) {
        this.hello = hello;
        this.scheme = tls == null ? "ws" : "wss";
        WebSocketConnectionCallback cb = this::connected;
        Set<String> protocols = Set.of(Subprotocol.V2);
        WebSocketProtocolHandshakeHandler ws = new WebSocketProtocolHandshakeHandler(
                List.of(new Hybi13Handshake(protocols, false)), cb);
        String path = basePath + "/_tunnel";
        Undertow.Builder builder = Undertow.builder();
        if (tls == null) {
            builder.addHttpListener(0, "127.0.0.1");
        } else {
            builder.addHttpsListener(0, "127.0.0.1", tls);
        }
        undertow = builder
                .setIoThreads(1)
                .setWorkerThreads(2)
                .setHandler(exchange -> {
                    if (exchange.getRequestPath().equals(path)) {
                        ws.handleRequest(exchange);
                    } else {
                        exchange.setStatusCode(404);
                        exchange.endExchange();
                    }
                })
                .build();
        undertow.start();
        port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
    }

    URI uri(String basePath) {
        return URI.create(scheme + "://127.0.0.1:" + port + basePath);
    }

    void hello(Settings s) {
        hello = s;
    }

    private void connected(WebSocketHttpExchange exchange, WebSocketChannel channel) {
        handshakes.incrementAndGet();
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
        Conn c = new Conn(channel, headers, channel.getSubProtocol());
        c.accepts = hello == null ? LIMITS : LIMITS.withReplyBody(hello.replyBody());
        channel.getReceiveSetter().set(c.receiver);
        channel.resumeReceives();
        if (hello != null) {
            c.send(new Frame.Hello(hello));
        }
        connections.add(c);
    }

    Conn awaitConnection() throws InterruptedException {
        Conn c = connections.poll(10, TimeUnit.SECONDS);
        if (c == null) {
            fail("no tunnel connection within 10 s");
        }
        return c;
    }

    Conn pollConnection(long millis) throws InterruptedException {
        return connections.poll(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        undertow.stop();
    }

    /** One accepted tunnel connection. */
    static final class Conn {
        final WebSocketChannel channel;
        final Map<String, String> headers;
        final String subprotocol;
        final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        final AtomicInteger pings = new AtomicInteger();
        final AtomicInteger pongs = new AtomicInteger();
        volatile boolean answerPings = true;
        /** Limits frames are decoded with: what this server announced. */
        volatile Settings accepts = LIMITS;
        volatile boolean textReceived;
        volatile int closeCode = -1;
        volatile String closeReason;
        final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);

        final AbstractReceiveListener receiver = new AbstractReceiveListener() {
            @Override
            @SuppressWarnings("deprecation") // BufferedBinaryMessage still hands out org.xnio.Pooled
            protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
                try (Pooled<ByteBuffer[]> data = message.getData()) {
                    int size = 0;
                    for (ByteBuffer b : data.getResource()) {
                        size += b.remaining();
                    }
                    ByteBuffer whole = ByteBuffer.allocate(size);
                    for (ByteBuffer b : data.getResource()) {
                        whole.put(b);
                    }
                    frames.add(FrameCodec.decode(whole.flip(), accepts));
                }
            }

            @Override
            protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
                textReceived = true;
            }

            @Override
            protected void onFullPingMessage(WebSocketChannel ch, BufferedBinaryMessage message) throws IOException {
                pings.incrementAndGet();
                if (answerPings) {
                    super.onFullPingMessage(ch, message);
                } else {
                    message.getData().free();
                }
            }

            @Override
            protected void onFullPongMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
                pongs.incrementAndGet();
                message.getData().free();
            }

            @Override
            protected void onCloseMessage(CloseMessage cm, WebSocketChannel ch) {
                closeCode = cm.getCode();
                closeReason = cm.getReason();
            }

            @Override
            protected void onClose(WebSocketChannel ch, io.undertow.websockets.core.StreamSourceFrameChannel f) throws IOException {
                super.onClose(ch, f);
                closed.countDown();
            }
        };

        Conn(WebSocketChannel channel, Map<String, String> headers, String subprotocol) {
            this.channel = channel;
            this.headers = headers;
            this.subprotocol = subprotocol;
            channel.addCloseTask(c -> closed.countDown());
        }

        synchronized void send(Frame f) {
            try {
                WebSockets.sendBinaryBlocking(FrameCodec.encode(f), channel);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        synchronized void sendRaw(ByteBuffer b) throws IOException {
            WebSockets.sendBinaryBlocking(b, channel);
        }

        synchronized void ping() throws IOException {
            WebSockets.sendPingBlocking(ByteBuffer.wrap(new byte[] {1, 2}), channel);
        }

        /** Next frame of any kind; fails after 10 s. */
        Frame next() throws InterruptedException {
            Frame f = frames.poll(10, TimeUnit.SECONDS);
            if (f == null) {
                fail("no frame within 10 s");
            }
            return f;
        }

        <T extends Frame> T next(Class<T> type) throws InterruptedException {
            Frame f = next();
            assertThat(f).isInstanceOf(type);
            return type.cast(f);
        }

        /** Drops the TCP connection without a close frame (on the channel's I/O thread, where Undertow wants it). */
        void drop() {
            channel.getIoThread().execute(() -> org.xnio.IoUtils.safeClose(channel));
        }

        boolean awaitClosed(long millis) throws InterruptedException {
            return closed.await(millis, TimeUnit.MILLISECONDS);
        }

        void goAway() {
            send(new Frame.GoAway(0, ErrorCode.GOING_AWAY, "test"));
        }
    }
}
