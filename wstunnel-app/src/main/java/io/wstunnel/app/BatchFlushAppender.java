package io.wstunnel.app;

import ch.qos.logback.classic.AsyncAppender; // for the javadoc
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Sits between the {@link AsyncAppender} and the real (non-flushing) output appender. Lines are
 * written into the output's buffer on the async worker thread; the buffer goes out when it fills,
 * when a WARN or ERROR line is written, and otherwise at most {@link #FLUSH_EVERY_MS} later (a daemon
 * timer). Under load many lines then cost one write instead of one system call each, and an idle
 * log is never more than a few milliseconds behind. The flush is safe from the timer thread: the
 * JDK's BufferedOutputStream synchronizes write and flush.
 */
final class BatchFlushAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    static final long FLUSH_EVERY_MS = 20;

    private final OutputStreamAppender<ILoggingEvent> out;
    private final java.util.concurrent.ScheduledExecutorService timer;
    private volatile boolean dirty;

    BatchFlushAppender(OutputStreamAppender<ILoggingEvent> out) {
        this.out = out;
        out.setImmediateFlush(false);
        this.timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "log-flush");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void start() {
        timer.scheduleWithFixedDelay(() -> {
            if (dirty) {
                flush();
            }
        }, FLUSH_EVERY_MS, FLUSH_EVERY_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        out.doAppend(event);
        if (event.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
            flush();
        } else {
            dirty = true;
        }
    }

    private void flush() {
        dirty = false;
        OutputStream os = out.getOutputStream();
        if (os == null) {
            return;
        }
        try {
            os.flush();
        } catch (IOException e) {
            addWarn("flushing the log failed", e);
        }
    }

    @Override
    public void stop() {
        timer.shutdownNow();
        flush();
        out.stop();
        super.stop();
    }

    /** A stream over {@code System.err} as it is at each write, which is buffered by the caller (no per-line flush). */
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
