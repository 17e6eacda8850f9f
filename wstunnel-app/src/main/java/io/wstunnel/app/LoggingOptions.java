package io.wstunnel.app;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** -log-level and -logfile, shared by srv, cli and demo. */
public final class LoggingOptions {

    @Option(names = {"-log-level", "--log-level"}, paramLabel = "LEVEL", defaultValue = "info",
            description = "trace, debug, info, warn or error (default: ${DEFAULT-VALUE}).")
    LogLevel logLevel = LogLevel.INFO;

    @Option(names = {"-logfile", "--logfile"}, paramLabel = "FILE",
            description = "Append the log to FILE instead of writing it to stderr.")
    Path logFile;

    public LogLevel logLevel() {
        return logLevel;
    }

    public Path logFile() {
        return logFile;
    }
}
