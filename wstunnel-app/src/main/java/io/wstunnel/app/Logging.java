package io.wstunnel.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Configures Logback programmatically (no XML, so no status noise): one appender, stderr by default
 * or a file with -logfile, root level from -log-level. Chatty libraries stay at WARN (XNIO, JBoss
 * threads) or INFO (HttpClient wire log) unless tracing.
 */
public final class Logging {
    static final int ASYNC_QUEUE_SIZE = 8192;
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{30} - %msg%n";

    private Logging() {
    }

    /** Drains the asynchronous appender's queue (call before the JVM exits). */
    public static synchronized void shutdown() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            ctx.stop();
        }
    }

    public static void configure(LoggingOptions options) {
        configure(options.logLevel(), options.logFile());
    }

    public static synchronized void configure(LogLevel level, Path logFile) {
        if (logFile != null) {
            Path parent = logFile.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new UsageException("-logfile " + logFile + ": directory " + parent + " does not exist");
            }
            if (Files.isDirectory(logFile)) {
                throw new UsageException("-logfile " + logFile + " is a directory");
            }
        }
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext)) {
            return; // another SLF4J binding: leave it alone
        }
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();

        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(PATTERN);
        encoder.start();

        OutputStreamAppender<ILoggingEvent> appender;
        if (logFile == null) {
            OutputStreamAppender<ILoggingEvent> console = new OutputStreamAppender<>();
            console.setOutputStream(new java.io.BufferedOutputStream(BatchingAsyncAppender.stderr(), 64 * 1024));
            appender = console;
        } else {
            FileAppender<ILoggingEvent> file = new FileAppender<>();
            file.setFile(logFile.toString());
            file.setAppend(true);
            appender = file;
        }
        appender.setName(logFile == null ? "console" : "file");
        appender.setContext(ctx);
        appender.setEncoder(encoder);
        appender.setImmediateFlush(false); // BatchingAsyncAppender flushes once per batch
        appender.start();
        if (!appender.isStarted()) {
            throw new UsageException("-logfile " + logFile + ": cannot open for writing");
        }

        // Log calls happen on IO threads: hand events to a bounded queue and never block on a slow
        // terminal or disk (under overload the newest events are dropped rather than stalling requests).
        BatchingAsyncAppender async = new BatchingAsyncAppender(appender, ASYNC_QUEUE_SIZE);
        async.setName("async");
        async.setContext(ctx);
        async.start();

        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level.logback());
        root.addAppender(async);

        Level quiet = level.logback().isGreaterOrEqual(Level.WARN) ? level.logback() : Level.WARN;
        ctx.getLogger("org.xnio").setLevel(quiet);
        ctx.getLogger("org.jboss.threads").setLevel(quiet);
        ctx.getLogger("io.undertow").setLevel(level == LogLevel.TRACE ? Level.DEBUG
                : (level.logback().isGreaterOrEqual(Level.INFO) ? level.logback() : Level.INFO));
        if (level != LogLevel.TRACE) {
            Level hc = level.logback().isGreaterOrEqual(Level.INFO) ? level.logback() : Level.INFO;
            ctx.getLogger("org.apache.hc").setLevel(hc);
        }
    }
}
