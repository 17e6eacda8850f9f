package io.wstunnel.srv.admin;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xnio.IoUtils;
import org.xnio.XnioIoThread;
import org.xnio.channels.StreamSinkChannel;

/**
 * {@code /admin/events}: server-sent events without blocking any thread. Each subscriber has a small
 * queue drained on its exchange's IO thread; a subscriber that falls too far behind is dropped.
 */
final class EventStream {
    private static final int MAX_BACKLOG = 1000;
    private static final int MAX_SUBSCRIBERS = 64;

    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();

    int size() {
        return subscribers.size();
    }

    /** Takes over the exchange; call from the handler (IO thread). {@code backlog}: events sent first. */
    void subscribe(HttpServerExchange exchange, Iterable<String> backlog) {
        if (subscribers.size() >= MAX_SUBSCRIBERS) {
            io.wstunnel.srv.http.PlainText.send(exchange, 503, "Too many event stream subscribers");
            return;
        }
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
        exchange.getResponseHeaders().put(Headers.X_CONTENT_TYPE_OPTIONS, "nosniff");
        exchange.getResponseHeaders().put(io.undertow.util.HttpString.tryFromString("X-Accel-Buffering"), "no");
        exchange.dispatch(SameThreadExecutor.INSTANCE, () -> {
            Subscriber s = new Subscriber(exchange);
            subscribers.add(s);
            exchange.addExchangeCompleteListener((ex, next) -> {
                subscribers.remove(s);
                next.proceed();
            });
            s.offer(": wstunnel admin events\nretry: 3000\n\n");
            for (String e : backlog) {
                s.offer(e);
            }
        });
    }

    /** Sends {@code data} (one JSON line) as an SSE event of the given type to every subscriber. */
    void publish(String type, String data) {
        if (subscribers.isEmpty()) {
            return;
        }
        String frame = format(type, data);
        for (Subscriber s : subscribers) {
            s.offer(frame);
        }
    }

    static String format(String type, String data) {
        return "event: " + type + "\ndata: " + data + "\n\n";
    }

    /** A comment line keeps proxies from timing the stream out. */
    void heartbeat() {
        for (Subscriber s : subscribers) {
            s.offer(": keep-alive\n\n");
        }
    }

    void closeAll() {
        for (Subscriber s : subscribers) {
            s.close();
        }
        subscribers.clear();
    }

    private final class Subscriber {
        private final HttpServerExchange exchange;
        private final XnioIoThread io;
        private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>(); // guarded by this
        private StreamSinkChannel channel; // IO thread only
        private boolean closed;

        Subscriber(HttpServerExchange exchange) {
            this.exchange = exchange;
            this.io = exchange.getIoThread();
        }

        void offer(String frame) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                if (queue.size() >= MAX_BACKLOG) {
                    closed = true;
                    queue.clear();
                    io.execute(() -> IoUtils.safeClose(exchange.getConnection()));
                    subscribers.remove(this);
                    return;
                }
                queue.add(ByteBuffer.wrap(frame.getBytes(StandardCharsets.UTF_8)));
            }
            io.execute(this::pump);
        }

        void close() {
            synchronized (this) {
                closed = true;
                queue.clear();
            }
            io.execute(() -> {
                if (channel != null) {
                    try {
                        channel.shutdownWrites();
                        channel.flush();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
                exchange.endExchange();
            });
        }

        private void pump() {
            if (exchange.isComplete()) {
                return;
            }
            if (channel == null) {
                channel = exchange.getResponseChannel();
                if (channel == null) {
                    return;
                }
                channel.getWriteSetter().set(ch -> pump());
            }
            try {
                while (true) {
                    ByteBuffer b;
                    synchronized (this) {
                        b = queue.peek();
                    }
                    if (b == null) {
                        break;
                    }
                    channel.write(b);
                    if (b.hasRemaining()) {
                        channel.resumeWrites();
                        return;
                    }
                    synchronized (this) {
                        queue.poll();
                    }
                }
                if (!channel.flush()) {
                    channel.resumeWrites();
                    return;
                }
                channel.suspendWrites();
            } catch (IOException e) {
                subscribers.remove(this);
                IoUtils.safeClose(exchange.getConnection());
            }
        }
    }
}
