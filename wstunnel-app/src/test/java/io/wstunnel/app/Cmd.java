package io.wstunnel.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Test helper: parse without running, or run in-process capturing stdout/stderr. */
final class Cmd {
    private Cmd() {
    }

    record Result(int exitCode, String out, String err) {
    }

    /** Parses {@code args} (subcommand first) and returns the subcommand object, nothing run. */
    @SuppressWarnings("unchecked")
    static <T> T parse(String... args) {
        CommandLine cl = Main.prepare(args);
        CommandLine.ParseResult pr = cl.parseArgs(args);
        Main.applyConfigLists(pr);
        return (T) pr.subcommand().commandSpec().userObject();
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }
}
