package io.wstunnel.protocol;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of receive window a tunnel may grant beyond INITIAL_WINDOW across all its streams
 * ({@link ReceiveWindow} auto-tuning). Thread-safe; never goes below zero.
 */
public final class WindowBudget {
    private final AtomicLong left;

    public WindowBudget(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative window budget");
        }
        this.left = new AtomicLong(bytes);
    }

    /** The budget of one tunnel socket whose streams may each grow to {@code maxStreamWindow}: room for two. */
    public static long bytesFor(int maxStreamWindow) {
        return 2L * maxStreamWindow;
    }

    /** A budget that never grants anything: windows stay at INITIAL_WINDOW. */
    public static WindowBudget none() {
        return new WindowBudget(0);
    }

    /** Takes up to {@code wanted} bytes; returns how many were taken (0 when the budget is spent). */
    public int take(int wanted) {
        while (true) {
            long now = left.get();
            int n = (int) Math.min(Math.max(0, wanted), now);
            if (n == 0 || left.compareAndSet(now, now - n)) {
                return n;
            }
        }
    }

    /** Returns bytes taken earlier. */
    public void give(long n) {
        if (n > 0) {
            left.addAndGet(n);
        }
    }

    public long left() {
        return left.get();
    }
}
