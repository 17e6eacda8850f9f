package io.wstunnel.srv;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Settings;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What every raw wstunnel.v2 test agent shares, whatever carries its WebSocket: the frames it
 * received in arrival order, the close code, the HELLO exchange and bounded waits for frames.
 */
public abstract class V2Agent implements AutoCloseable {
    /** Seconds {@link #next()} waits for one frame. */
    static final long FRAME_SECONDS = 10;

    /** Every frame received and not yet taken, in arrival order. */
    public final BlockingQueue<Frame> frames;
    /** The close code the server sent (1005 when it sent none), or -1 when the connection ended without one. */
    public final CompletableFuture<Integer> closed;
    /** What the server announced in its HELLO; null until the exchange. */
    public volatile Settings serverSettings;

    protected V2Agent(BlockingQueue<Frame> frames, CompletableFuture<Integer> closed) {
        this.frames = frames;
        this.closed = closed;
    }

    /** Sends one frame as one binary message. */
    public abstract void send(Frame f) throws Exception;

    /** Drops the connection without a close handshake. */
    public abstract void abort();

    @Override
    public void close() {
        abort();
    }

    /** Sends our HELLO and takes the server's, which must be the first frame; drops the connection if not. */
    protected final void hello(Settings mine) throws Exception {
        try {
            send(new Frame.Hello(mine));
            Frame hello = next();
            if (!(hello instanceof Frame.Hello h)) {
                throw new AssertionError("expected HELLO first, got " + hello);
            }
            serverSettings = h.settings();
        } catch (Exception | AssertionError e) {
            abort();
            throw e;
        }
    }

    /** The next frame; AssertionError when none arrives within {@value #FRAME_SECONDS} s. */
    public Frame next() throws InterruptedException {
        return MessageSocket.take(frames, FRAME_SECONDS, "frame");
    }

    /** The next frame of {@code type}, skipping others; each frame is awaited as in {@link #next()}. */
    @SuppressWarnings("unchecked")
    public <T extends Frame> T next(Class<T> type) throws InterruptedException {
        while (true) {
            Frame f = next();
            if (type.isInstance(f)) {
                return (T) f;
            }
        }
    }

    /** The next OPEN, skipping others, or null if none arrives within {@code millis}. */
    public Frame.Open pollOpen(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            Frame f = frames.poll(left, TimeUnit.NANOSECONDS);
            if (f instanceof Frame.Open o) {
                return o;
            }
        }
    }
}
