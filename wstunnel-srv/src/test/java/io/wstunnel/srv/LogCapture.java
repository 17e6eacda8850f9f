package io.wstunnel.srv;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * Captures what a logger (and its children) logs at INFO and above while open; the logger's level is
 * lowered to INFO for that time (the tests' configuration logs WARN only) and restored on close.
 * Safe to read while server threads log.
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final Queue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();
    private final Logger logger;
    private final Level previous;

    private LogCapture(String loggerName) {
        this.logger = (Logger) LoggerFactory.getLogger(loggerName);
        this.previous = logger.getLevel();
        setContext(logger.getLoggerContext());
        start();
        logger.addAppender(this);
        logger.setLevel(Level.INFO);
    }

    /** Starts capturing INFO and above from {@code loggerName} and below (e.g. "io.wstunnel.srv"). */
    public static LogCapture info(String loggerName) {
        return new LogCapture(loggerName);
    }

    @Override
    protected void append(ILoggingEvent e) {
        events.add(e);
    }

    /** Formatted messages logged so far, in order. */
    public List<String> messages() {
        return events.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    /** Formatted messages of one logger (exact name). */
    public List<String> messages(String loggerName) {
        return events.stream().filter(e -> e.getLoggerName().equals(loggerName))
                .map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    @Override
    public void close() {
        logger.detachAppender(this);
        logger.setLevel(previous);
        stop();
    }
}
