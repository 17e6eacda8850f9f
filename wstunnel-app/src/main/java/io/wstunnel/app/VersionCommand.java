package io.wstunnel.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code wstunnel version}: prints {@code wstunnel <version>}. */
@Command(name = "version", description = "Print the version and exit.")
public final class VersionCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    HelpOption help;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println("wstunnel " + Version.get());
        spec.commandLine().getOut().flush();
        return Main.EXIT_OK;
    }
}
