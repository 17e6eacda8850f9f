package io.wstunnel.app;

import picocli.CommandLine.Option;

/** -h / -help / --help for every subcommand. */
public final class HelpOption {
    @Option(names = {"-h", "-help", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;
}
