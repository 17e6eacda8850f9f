package io.wstunnel.srv.ws;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The size of a {@link RawWebSocket}'s outbound queue: every frame queued and not yet written, at its
 * {@link #cost}, and the hard limit on it. The first frame that would take the count over the limit
 * is refused and reported; every frame after it is refused too (the connection is being cut), so
 * the count never passes the limit. Thread-safe: frames are queued from any thread.
 */
public final class OutboundMeter {
    /**
     * What a queued frame holds besides its bytes: its queue entry, two ByteBuffers, the header's array
     * and a queue slot, about 180 bytes on a 64-bit JVM. Charged so that a flood of empty frames (pongs)
     * costs what it weighs.
     */
    public static final int FRAME_OVERHEAD = 192;

    private final AtomicLong queued = new AtomicLong();
    private final AtomicBoolean over = new AtomicBoolean();
    private volatile long max = Long.MAX_VALUE;

    /** What a frame with a payload of {@code length} bytes is charged while it waits: its wire size plus {@link #FRAME_OVERHEAD}. */
    public static long cost(int length) {
        return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (long) length + FRAME_OVERHEAD;
    }

    /** The hard limit ({@link Long#MAX_VALUE}, none, until set). */
    void limit(long maxQueued) {
        this.max = maxQueued;
    }

    /** The cost of the frames queued and not yet written. */
    long queued() {
        return queued.get();
    }

    /**
     * Counts a frame of {@code cost} unless the count would pass the limit, or already did.
     *
     * @param firstRefusal told, once, the count the first refused frame would have made
     * @return false if the frame is refused
     */
    boolean add(long cost, LongConsumer firstRefusal) {
        if (over.get()) {
            return false;
        }
        long total = queued.addAndGet(cost);
        if (total <= max) {
            return true;
        }
        queued.addAndGet(-cost);
        if (over.compareAndSet(false, true)) {
            firstRefusal.accept(total);
        }
        return false;
    }

    /** Counts a frame that may not be refused (the close frame, which ends the connection). */
    void force(long cost) {
        queued.addAndGet(cost);
    }

    /** A frame of {@code cost} left the queue. */
    void release(long cost) {
        queued.addAndGet(-cost);
    }
}
