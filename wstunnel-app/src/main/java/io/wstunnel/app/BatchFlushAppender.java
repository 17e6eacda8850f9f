package io.wstunnel.app;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Sits between the {@link AsyncAppender} and the real (non-flushing) output appender, on the async
 * worker thread only: it flushes the output once the async queue is empty. Under load many log lines
 * then go out in one write instead of one system call per line; when idle every line is flushed at
 * once, so nothing waits in a buffer.
 */
final class BatchFlushAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    /** Flush at least this often (bytes) even if the queue never empties. */
    private static final int MAX_UNFLUSHED = 64 * 1024;

    private final OutputStreamAppender<ILoggingEvent> out;
    private final AsyncAppender queue;
    private long unflushedEvents;

    BatchFlushAppender(OutputStreamAppender<ILoggingEvent> out, AsyncAppender queue) {
        this.out = out;
        this.queue = queue;
        out.setImmediateFlush(false);
    }

    @Override
    protected void append(ILoggingEvent event) {
        out.doAppend(event);
        unflushedEvents++;
        if (queue.getNumberOfElementsInQueue() == 0 || unflushedEvents * 128 >= MAX_UNFLUSHED) {
            flush();
        }
    }

    private void flush() {
        unflushedEvents = 0;
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
