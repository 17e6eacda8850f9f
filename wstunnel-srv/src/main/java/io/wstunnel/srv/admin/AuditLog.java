package io.wstunnel.srv.admin;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import java.util.Map;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.marker.Markers;

/**
 * The durable record auditors ask for: one JSON object per line, written through its own Logback
 * context (so the application's logging configuration cannot switch it off), rolled by day and by
 * size, gzip'd. Records go through an async queue that never discards and are flushed to the file as
 * each is written, so a crash loses at most what is still queued (well under a second).
 */
final class AuditLog {
    interface Sink extends AutoCloseable {
        void write(String event, Map<String, Object> fields);

        @Override
        default void close() {
        }
    }

    static final Sink NONE = (event, fields) -> {
    };

    private AuditLog() {
    }

    static Sink open(String file) {
        LoggerContext ctx = new LoggerContext();
        ctx.setName("wstunnel-audit");
        ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // a bare context has none

        LogstashEncoder encoder = new LogstashEncoder();
        encoder.setContext(ctx);
        encoder.getFieldNames().setVersion("[ignore]");
        encoder.getFieldNames().setLevelValue("[ignore]");
        encoder.getFieldNames().setLevel("[ignore]");
        encoder.getFieldNames().setThread("[ignore]");
        encoder.getFieldNames().setLogger("[ignore]");
        encoder.getFieldNames().setMessage("event");
        encoder.setIncludeContext(false);
        encoder.setIncludeMdc(false);
        encoder.start();

        RollingFileAppender<ILoggingEvent> fileAppender = new RollingFileAppender<>();
        fileAppender.setContext(ctx);
        fileAppender.setName("audit-file");
        fileAppender.setFile(file);
        fileAppender.setAppend(true);
        fileAppender.setImmediateFlush(true);
        fileAppender.setEncoder(encoder);

        SizeAndTimeBasedRollingPolicy<ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
        policy.setContext(ctx);
        policy.setParent(fileAppender);
        policy.setFileNamePattern(file + ".%d{yyyy-MM-dd}.%i.gz");
        policy.setMaxFileSize(FileSize.valueOf("100MB"));
        policy.setMaxHistory(90);
        policy.setTotalSizeCap(FileSize.valueOf("20GB"));
        policy.start();
        fileAppender.setRollingPolicy(policy);
        fileAppender.start();

        AsyncAppender async = new AsyncAppender();
        async.setContext(ctx);
        async.setName("audit-async");
        async.setQueueSize(16_384);
        async.setDiscardingThreshold(0); // never drop audit records
        async.setNeverBlock(false);
        async.setIncludeCallerData(false);
        async.setMaxFlushTime(5000);
        async.addAppender(fileAppender);
        async.start();

        Logger logger = ctx.getLogger("wstunnel.audit");
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
        logger.addAppender(async);
        ctx.start();
        return new Sink() {
            @Override
            public void write(String event, Map<String, Object> fields) {
                logger.info(Markers.appendEntries(fields), event);
            }

            @Override
            public void close() {
                ctx.stop(); // drains the async queue, closes the file
            }
        };
    }
}
