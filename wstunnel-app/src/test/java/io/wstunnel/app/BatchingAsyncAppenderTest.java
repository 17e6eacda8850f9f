package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/** The request log's appender: ordered, prompt, never blocking, bounded. */
class BatchingAsyncAppenderTest {
    private final LoggerContext ctx = new LoggerContext();
    private final Logger logger = ctx.getLogger("test");

    {
        ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as the SLF4J binding does
    }

    private BatchingAsyncAppender appender(OutputStream sink, int capacity) {
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern("%msg%n");
        enc.start();
        OutputStreamAppender<ILoggingEvent> out = new OutputStreamAppender<>();
        out.setContext(ctx);
        out.setEncoder(enc);
        out.setOutputStream(sink);
        out.start();
        BatchingAsyncAppender a = new BatchingAsyncAppender(out, capacity);
        a.setContext(ctx);
        a.start();
        return a;
    }

    private ILoggingEvent event(Level level, String msg) {
        return new LoggingEvent(Logger.class.getName(), logger, level, msg, null, null);
    }

    @Test
    void linesArriveInOrderAndPromptly() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        BatchingAsyncAppender a = appender(sink, 100);
        try {
            for (int i = 0; i < 50; i++) {
                a.doAppend(event(Level.INFO, "line " + i));
            }
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> sink.toString(StandardCharsets.UTF_8).lines().count() == 50);
            assertThat(sink.toString(StandardCharsets.UTF_8).lines()).containsExactlyElementsOf(
                    java.util.stream.IntStream.range(0, 50).mapToObj(i -> "line " + i).toList());
        } finally {
            a.stop();
        }
    }

    @Test
    void aStuckOutputNeverBlocksLoggingThreadsAndTheQueueStaysBounded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                written.write(b, off, len);
            }
        };
        BatchingAsyncAppender a = appender(stuck, 10);
        try {
            a.doAppend(event(Level.WARN, "first")); // wakes the worker, which then hangs in write()
            Thread.sleep(100);
            // 1000 more events while the output hangs: every call returns (the test would time out otherwise)
            Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                for (int i = 0; i < 1000; i++) {
                    a.doAppend(event(Level.INFO, "more " + i));
                }
            });
            release.countDown();
            a.stop();
            long lines = written.toString(StandardCharsets.UTF_8).lines().count();
            assertThat(lines).as("the first line plus at most the queue's capacity").isBetween(2L, 11L);
            assertThat(written.toString(StandardCharsets.UTF_8)).startsWith("first");
        } finally {
            release.countDown();
            a.stop();
        }
    }

    @Test
    void stopWritesWhatIsStillQueued() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        BatchingAsyncAppender a = appender(sink, 100);
        for (int i = 0; i < 20; i++) {
            a.doAppend(event(Level.INFO, "x" + i));
        }
        a.stop();
        assertThat(sink.toString(StandardCharsets.UTF_8).lines()).hasSize(20).endsWith("x19");
    }
}
