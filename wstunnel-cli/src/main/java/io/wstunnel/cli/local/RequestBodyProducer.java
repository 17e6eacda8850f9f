package io.wstunnel.cli.local;

import io.wstunnel.cli.tunnel.ExchangeStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Set;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.DataStreamChannel;

/**
 * Streams the request body from DATA frames to HttpClient. Invariant (guarded by {@code this}):
 * {@code buffered} never exceeds the window we granted the server, because credit is returned
 * ({@link ExchangeStream#consumed}) only for bytes HttpClient has accepted or that were discarded.
 */
final class RequestBodyProducer implements AsyncEntityProducer {
    private final ExchangeStream stream;
    private final long contentLength;
    private final ArrayDeque<ByteBuffer> chunks = new ArrayDeque<>();
    private long buffered;
    private boolean ended;
    private boolean finished;
    private boolean discarding;
    private DataStreamChannel channel;

    /** @param contentLength from the request's Content-Length, or -1 for a chunked body */
    RequestBodyProducer(ExchangeStream stream, long contentLength, boolean ended) {
        this.stream = stream;
        this.contentLength = contentLength;
        this.ended = ended;
    }

    /** Request body bytes from the tunnel (reader thread). */
    void offer(ByteBuffer payload, boolean end) {
        int drop = 0;
        DataStreamChannel ch;
        synchronized (this) {
            if (discarding || finished) {
                drop = payload.remaining();
            } else if (payload.hasRemaining()) {
                chunks.add(payload);
                buffered += payload.remaining();
            }
            ended |= end;
            ch = channel;
        }
        if (drop > 0) {
            stream.consumed(drop);
        } else if (ch != null) {
            ch.requestOutput();
        }
    }

    /**
     * The exchange is over: drop what is buffered and whatever still comes, returning its credit.
     *
     * @return true if the body had not been handed to HttpClient whole; it never will be now
     */
    boolean discard() {
        long n;
        boolean unfinished;
        synchronized (this) {
            unfinished = !finished;
            discarding = true;
            n = buffered;
            buffered = 0;
            chunks.clear();
        }
        stream.consumed((int) n);
        return unfinished;
    }

    @Override
    public synchronized int available() {
        if (finished || discarding) {
            return 0;
        }
        return buffered > 0 ? (int) Math.min(Integer.MAX_VALUE, buffered) : (ended ? 1 : 0);
    }

    @Override
    public void produce(DataStreamChannel ch) throws IOException {
        int written = 0;
        boolean end = false;
        synchronized (this) {
            channel = ch;
            if (finished || discarding) {
                return;
            }
            while (!chunks.isEmpty()) {
                ByteBuffer b = chunks.peek();
                written += ch.write(b);
                if (b.hasRemaining()) {
                    break;
                }
                chunks.poll();
            }
            buffered -= written;
            if (chunks.isEmpty() && ended) {
                finished = true;
                end = true;
            }
        }
        if (end) {
            ch.endStream();
        }
        stream.consumed(written);
    }

    @Override public boolean isRepeatable() { return false; }
    @Override public void failed(Exception cause) { discard(); }
    @Override public long getContentLength() { return contentLength; }
    @Override public String getContentType() { return null; }
    @Override public String getContentEncoding() { return null; }
    @Override public boolean isChunked() { return contentLength < 0; }
    @Override public Set<String> getTrailerNames() { return null; }
    @Override public void releaseResources() { discard(); }
}
