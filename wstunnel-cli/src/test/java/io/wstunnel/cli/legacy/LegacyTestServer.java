package io.wstunnel.cli.legacy;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.xnio.Pooled;

/**
 * Test-only legacy (Go wstunnel) tunnel server written from LEGACY.md §1–§3: accepts the upgrade on
 * any path without selecting a subprotocol, answers pings with pongs (unless told not to), sends
 * raw request messages, and queues every whole binary message the agent sends back.
 */
final class LegacyTestServer implements AutoCloseable {
    final AtomicInteger upgrades = new AtomicInteger();
    final AtomicInteger pings = new AtomicInteger();
    final BlockingQueue<Conn> connections = new LinkedBlockingQueue<>();
    volatile boolean answerPings = true;
    private final Undertow undertow;

    static final class Conn {
        final WebSocketChannel channel;
        final Map<String, List<String>> upgradeHeaders;
        final String path;
        final BlockingQueue<byte[]> messages = new LinkedBlockingQueue<>();
        volatile boolean closed;

        Conn(WebSocketChannel channel, Map<String, List<String>> headers, String path) {
            this.channel = channel;
            this.upgradeHeaders = headers;
            this.path = path;
        }

        void send(byte[] message) throws IOException {
            WebSockets.sendBinaryBlocking(ByteBuffer.wrap(message), channel);
        }

        byte[] next(long millis) throws InterruptedException {
            return messages.poll(millis, TimeUnit.MILLISECONDS);
        }

        void close() throws IOException {
            channel.close();
        }
    }

    LegacyTestServer() {
        undertow = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(2)
                .setHandler(Handlers.websocket((exchange, channel) -> {
                    upgrades.incrementAndGet();
                    Map<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                    h.putAll(exchange.getRequestHeaders());
                    Conn c = new Conn(channel, h, exchange.getRequestURI());
                    channel.getReceiveSetter().set(new AbstractReceiveListener() {
                        @Override
                        protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage m) {
                            Pooled<ByteBuffer[]> data = m.getData();
                            try {
                                ByteArrayOutputStream out = new ByteArrayOutputStream();
                                for (ByteBuffer b : data.getResource()) {
                                    byte[] a = new byte[b.remaining()];
                                    b.get(a);
                                    out.write(a, 0, a.length);
                                }
                                c.messages.add(out.toByteArray());
                            } finally {
                                data.free();
                            }
                        }

                        @Override
                        protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage m) {
                            c.messages.add(("TEXT:" + m.getData()).getBytes());
                        }

                        @Override
                        protected void onFullPingMessage(WebSocketChannel ch, BufferedBinaryMessage m) throws IOException {
                            pings.incrementAndGet();
                            if (answerPings) {
                                super.onFullPingMessage(ch, m);
                            } else {
                                m.getData().free();
                            }
                        }

                        @Override
                        protected void onCloseMessage(CloseMessage cm, WebSocketChannel ch) {
                            c.closed = true;
                        }
                    });
                    channel.resumeReceives();
                    connections.add(c);
                }))
                .build();
        undertow.start();
    }

    URI uri() {
        int port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
        return URI.create("ws://127.0.0.1:" + port);
    }

    Conn awaitConnection(long millis) throws InterruptedException {
        return connections.poll(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        undertow.stop();
    }
}
