package io.wstunnel.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Asynchronous, never-blocking log output for threads that must not wait (Undertow IO threads log
 * every request). Logging threads only add the event to a lock-free bounded queue: no lock, no
 * thread wake-up per line (Logback's AsyncAppender signals its worker for every event). One worker
 * drains the queue every {@link #DRAIN_EVERY_MS} ms — at once for WARN and above — writes the lines
 * into the output's buffer and flushes once per batch. When the queue is full new events are
 * dropped and counted; the count is reported in the log once there is room again.
 */
final class BatchingAsyncAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    static final long DRAIN_EVERY_MS = 10;

    private final OutputStreamAppender<ILoggingEvent> out;
    private final int capacity;
    private final ConcurrentLinkedQueue<ILoggingEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean running;
    private Thread worker;

    /** @param out the real output, started; its lines are flushed by this appender, not per line */
    BatchingAsyncAppender(OutputStreamAppender<ILoggingEvent> out, int capacity) {
        this.out = out;
        this.capacity = capacity;
        out.setImmediateFlush(false);
    }

    @Override
    public void start() {
        running = true;
        worker = new Thread(this::drainLoop, "log-writer");
        worker.setDaemon(true);
        worker.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        event.prepareForDeferredProcessing(); // thread name, message and MDC as they are now
        queue.offer(event);
        if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
            LockSupport.unpark(worker); // rare: written without waiting for the next round
        }
    }

    private void drainLoop() {
        while (running) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(DRAIN_EVERY_MS));
            drain();
        }
    }

    /** Writes every queued line and flushes once. Only the worker (or stop, after it) calls this. */
    private void drain() {
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            addWarn(lost + " log events dropped: the log output could not keep up");
            System.err.println("wstunnel: " + lost + " log lines dropped (log output too slow)");
        }
        boolean wrote = false;
        for (ILoggingEvent e; (e = queue.poll()) != null; ) {
            queued.decrementAndGet();
            out.doAppend(e);
            wrote = true;
        }
        if (wrote) {
            OutputStream os = out.getOutputStream();
            try {
                if (os != null) {
                    os.flush();
                }
            } catch (IOException ex) {
                addWarn("flushing the log failed", ex);
            }
        }
    }

    /** Stops the worker, then writes what is still queued (bounded wait for the worker). */
    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        running = false;
        LockSupport.unpark(worker);
        try {
            worker.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain();
        out.stop();
    }

    /** A stream over {@code System.err} as it is at each write; buffered by the caller (no per-line flush). */
    static OutputStream stderr() {
        return new OutputStream() {
            @Override
            public void write(int b) {
                System.err.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                System.err.write(b, off, len);
            }

            @Override
            public void flush() {
                System.err.flush();
            }
        };
    }
}
