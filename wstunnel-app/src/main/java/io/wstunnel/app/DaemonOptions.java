package io.wstunnel.app;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** -pidfile and -config, shared by srv and cli. */
public final class DaemonOptions {

    @Option(names = {"-pidfile", "--pidfile"}, paramLabel = "FILE",
            description = "Write the process id to FILE (deleted on exit).")
    Path pidFile;

    @Option(names = {"-config", "--config"}, paramLabel = "FILE",
            description = "YAML file with default values; keys are the option names without the dash "
                    + "(e.g. 'port: 8080'). Options given on the command line win.")
    Path configFile;

    public Path pidFile() {
        return pidFile;
    }

    public Path configFile() {
        return configFile;
    }
}
