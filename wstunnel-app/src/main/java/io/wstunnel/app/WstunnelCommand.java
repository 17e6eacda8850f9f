package io.wstunnel.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The root command: only lists the subcommands. */
@Command(name = "wstunnel",
        description = "HTTP-over-WebSocket tunnel: a drop-in replacement for the Go wstunnel.",
        versionProvider = Version.Provider.class,
        subcommands = {SrvCommand.class, CliCommand.class, VersionCommand.class, DemoCommand.class,
                HashPasswordCommand.class},
        synopsisSubcommandLabel = "(srv | cli | version | demo | hash-password)",
        footer = {"", "Run 'wstunnel <command> -help' for the options of a command."})
public final class WstunnelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "-help", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = {"-version", "--version"}, versionHelp = true, description = "Print the version and exit.")
    boolean version;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Main.EXIT_USAGE;
    }
}
