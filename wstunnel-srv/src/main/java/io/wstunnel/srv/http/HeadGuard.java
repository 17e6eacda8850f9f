package io.wstunnel.srv.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpServerConnection;
import io.undertow.util.AttachmentKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Sits directly on a connection's raw (plaintext) bytes and runs a {@link HeadScanner} over every
 * request head before Undertow parses it, so that a folded header line can be refused although the
 * parser joins it silently. It never changes a byte.
 *
 * <p>Where a head starts: at the connection's first byte, and after each exchange completes, in the
 * bytes Undertow has read but not consumed (a pipelined request) and then on the socket. Bodies are
 * never scanned; neither is anything after an upgrade.
 */
public final class HeadGuard extends AbstractStreamSourceConduit<StreamSourceConduit> implements ExchangeCompletionListener {
    private final HeadScanner scanner = new HeadScanner();

    private HeadGuard(StreamSourceConduit next) {
        super(next);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int from = dst.position();
        int n = next.read(dst);
        if (n > 0 && scanner.scanning()) {
            scanner.scan(dst, from, from + n);
        }
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        if (!scanner.scanning()) {
            return next.read(dsts, offset, length);
        }
        int[] from = new int[length];
        for (int i = 0; i < length; i++) {
            from[i] = dsts[offset + i].position();
        }
        long n = next.read(dsts, offset, length);
        for (int i = 0; n > 0 && i < length; i++) {
            scanner.scan(dsts[offset + i], from[i], dsts[offset + i].position());
        }
        return n;
    }

    @Override
    public long transferTo(long position, long count, FileChannel target) throws IOException {
        return scanner.scanning() ? target.transferFrom(new ConduitReadableByteChannel(this), position, count)
                : next.transferTo(position, count, target);
    }

    @Override
    public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
        return scanner.scanning() ? IoUtils.transfer(new ConduitReadableByteChannel(this), count, throughBuffer, target)
                : next.transferTo(count, throughBuffer, target);
    }

    /** @return whether the head of the exchange now being handled had a folded line */
    public boolean takeFolded() {
        return scanner.takeFolded();
    }

    /** @return whether the head of the exchange now being handled named a major HTTP version other than 1 */
    public boolean takeOtherMajorVersion() {
        return scanner.takeOtherMajorVersion();
    }

    /** Runs before Undertow parses the next request on this connection (listeners precede it). */
    @Override
    public void exchangeEvent(HttpServerExchange exchange, NextListener nextListener) {
        try {
            if (exchange.isUpgrade() || !exchange.isPersistent()) {
                scanner.stop();
            } else {
                scanner.expectHead();
                PooledByteBuffer extra = ((HttpServerConnection) exchange.getConnection()).getExtraBytes();
                if (extra != null && extra.isOpen()) {
                    ByteBuffer b = extra.getBuffer();
                    scanner.scan(b, b.position(), b.limit());
                }
            }
        } finally {
            nextListener.proceed();
        }
    }

    /**
     * Puts a guard under every connection a listener opens and finds it again for each exchange. A
     * connection claims its guard on its first exchange; guards of connections that never get one
     * (HTTP/2, closed early) leave the map with their connection (weak keys and values).
     */
    public static final class Registry {
        private static final AttachmentKey<HeadGuard> KEY = AttachmentKey.create(HeadGuard.class);
        private final Cache<StreamConnection, HeadGuard> unclaimed = Caffeine.newBuilder().weakKeys().weakValues().build();

        /** Wraps an open listener: the guard goes on the connection before Undertow reads a byte of it. */
        public ChannelListener<StreamConnection> wrap(ChannelListener<? super StreamConnection> open) {
            return connection -> {
                HeadGuard guard = new HeadGuard(connection.getSourceChannel().getConduit());
                connection.getSourceChannel().setConduit(guard);
                unclaimed.put(connection, guard);
                open.handleEvent(connection);
            };
        }

        /** The guard of this exchange's HTTP/1 connection, or null (HTTP/2, or not opened through {@link #wrap}). */
        public HeadGuard of(HttpServerExchange exchange) {
            if (!(exchange.getConnection() instanceof HttpServerConnection c)) {
                return null;
            }
            HeadGuard guard = c.getAttachment(KEY);
            if (guard == null) {
                guard = unclaimed.asMap().remove(c.getChannel());
                if (guard != null) {
                    c.putAttachment(KEY, guard);
                }
            }
            return guard;
        }
    }
}
