package io.wstunnel.srv.http;

import io.undertow.conduits.ReadDataStreamSourceConduit;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpServerConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Reads an HTTP/1.1 chunked request body through {@link ChunkedDecoder} in place of Undertow's
 * {@code ChunkedStreamSourceConduit}, which closes the connection itself on a framing error, so no
 * 400 could be answered. Here a framing error marks the request complete and the connection not
 * persistent, then throws {@link MalformedBodyException}: the handler can still answer 400 with the
 * reason, and the connection is closed after that response.
 *
 * <p>It is the only chunked parser of the body: Undertow's is replaced before the first body read, and
 * bytes read past the end of the body (a pipelined request) go back to the connection. Owner: the
 * thread reading the request body.
 */
public final class StrictChunkedConduit extends AbstractStreamSourceConduit<StreamSourceConduit> {
    private final HttpServerExchange exchange;
    private final HttpServerConnection connection;
    private final ChunkedDecoder decoder;
    private IOException failure;
    private boolean terminated;

    private StrictChunkedConduit(StreamSourceConduit next, HttpServerExchange exchange, HttpServerConnection connection,
                                 int maxTrailerBytes) {
        super(next);
        this.exchange = exchange;
        this.connection = connection;
        this.decoder = new ChunkedDecoder(maxTrailerBytes);
    }

    /**
     * Puts this decoder under the exchange's request channel. Call from the first handler of a chunked
     * HTTP/1.1 request, before anything reads the body; a no-op for other protocols.
     */
    public static void install(HttpServerExchange exchange, int maxTrailerBytes) {
        if (!(exchange.getConnection() instanceof HttpServerConnection c) || exchange.isRequestComplete()) {
            return;
        }
        // The same chain Undertow builds for a body: connection leftovers first, then the socket.
        StreamSourceConduit raw = new ReadDataStreamSourceConduit(c.getOriginalSourceConduit(), c);
        c.getChannel().getSourceChannel().setConduit(new StrictChunkedConduit(raw, exchange, c, maxTrailerBytes));
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (failure != null) {
            throw failure;
        }
        if (decoder.isDone()) {
            return -1;
        }
        int total = 0;
        try {
            while (dst.hasRemaining() && !decoder.isDone()) {
                long inChunk = decoder.dataRemaining();
                int n = inChunk > 0 ? readData(dst, inChunk) : readFraming(dst);
                if (n < 0) {
                    break; // nothing more to read now
                }
                total += n;
            }
        } catch (IOException e) {
            fail(e);
            throw e;
        }
        if (decoder.isDone()) {
            terminate();
            return total == 0 ? -1 : total;
        }
        return total;
    }

    /** Chunk data straight into {@code dst}, at most the rest of the chunk. @return bytes, or -1 if none now */
    private int readData(ByteBuffer dst, long inChunk) throws IOException {
        int limit = dst.limit();
        if (dst.remaining() > inChunk) {
            dst.limit(dst.position() + (int) inChunk);
        }
        int n;
        try {
            n = next.read(dst);
        } finally {
            dst.limit(limit);
        }
        if (n < 0) {
            throw truncated();
        }
        if (n == 0) {
            return -1;
        }
        decoder.dataConsumed(n);
        return n;
    }

    /** Raw bytes through the decoder; what it does not consume goes back to the connection. @return body bytes, or -1 */
    private int readFraming(ByteBuffer dst) throws IOException {
        PooledByteBuffer pooled = connection.getByteBufferPool().allocate();
        boolean keep = false;
        try {
            ByteBuffer buf = pooled.getBuffer();
            int n = next.read(buf);
            if (n < 0) {
                throw truncated();
            }
            if (n == 0) {
                return -1;
            }
            buf.flip();
            int written = decoder.decode(buf, dst);
            if (buf.hasRemaining()) {
                connection.ungetRequestBytes(pooled);
                keep = true;
            }
            return written;
        } finally {
            if (!keep) {
                pooled.close();
            }
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].hasRemaining()) {
                return read(dsts[i]);
            }
        }
        return 0;
    }

    @Override
    public long transferTo(long position, long count, FileChannel target) throws IOException {
        return target.transferFrom(new ConduitReadableByteChannel(this), position, count);
    }

    @Override
    public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
        return IoUtils.transfer(new ConduitReadableByteChannel(this), count, throughBuffer, target);
    }

    @Override
    public void terminateReads() throws IOException {
        if (!decoder.isDone()) {
            // The body was abandoned part way: the connection cannot carry another request.
            exchange.setPersistent(false);
            next.terminateReads();
        }
    }

    private void fail(IOException e) {
        failure = e;
        exchange.setPersistent(false);
        terminate(); // lets a response (the 400) end the exchange without draining the rest
    }

    private void terminate() {
        if (!terminated) {
            terminated = true;
            Connectors.terminateRequest(exchange);
        }
    }

    private static IOException truncated() {
        return new java.nio.channels.ClosedChannelException();
    }
}
