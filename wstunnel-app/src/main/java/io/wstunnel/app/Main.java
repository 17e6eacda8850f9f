package io.wstunnel.app;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Entry point of the {@code wstunnel} jar. Kept tiny: build the command line, map every failure to
 * an exit code and one line on stderr, exit.
 *
 * <p>Exit codes: 0 success, 1 runtime failure (bind error, failed demo check, ...), 2 bad usage or
 * bad configuration.
 */
public final class Main {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    private Main() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = run(args, out, err);
        out.flush();
        err.flush();
        Logging.shutdown();
        System.exit(code);
    }

    /** Parses and runs {@code args}; never throws, returns the process exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl;
        try {
            cl = prepare(args);
        } catch (UsageException e) {
            String cmd = e.command() == null ? "wstunnel" : e.command();
            err.println(cmd + ": " + oneLine(e.getMessage()));
            err.flush();
            return EXIT_USAGE;
        }
        cl.setOut(out);
        cl.setErr(err);
        try {
            return cl.execute(args);
        } catch (Error e) { // picocli's handler only sees Exceptions: a broken class path, OOM, ...
            LoggerFactory.getLogger(Main.class).debug("fatal error", e);
            err.println("wstunnel: fatal " + e.getClass().getSimpleName() + ": " + describe(e));
            err.flush();
            return EXIT_FAILURE;
        }
    }

    /**
     * The command line for {@code args}, with exception handlers installed and, when the chosen
     * subcommand has {@code -config FILE} among {@code args}, that file installed as the source of
     * default values (so the command line still wins). Tests parse with it and read the resulting
     * configuration from the subcommand objects.
     *
     * @throws UsageException when the configuration file cannot be read or has unknown keys
     */
    public static CommandLine prepare(String[] args) {
        CommandLine cl = new CommandLine(new WstunnelCommand());
        cl.setPosixClusteredShortOptionsAllowed(false);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(Main::onParameterException);
        cl.setExecutionExceptionHandler(Main::onExecutionException);
        cl.setExecutionStrategy(parsed -> {
            applyConfigLists(parsed);
            return new CommandLine.RunLast().execute(parsed);
        });

        String sub = null;
        int subIndex = -1;
        Map<String, CommandLine> subs = cl.getSubcommands();
        for (int i = 0; i < args.length; i++) {
            if (subs.containsKey(args[i])) {
                sub = args[i];
                subIndex = i;
                break;
            }
        }
        if (sub != null) {
            CommandLine subCl = subs.get(sub);
            String configFile = findConfigFile(Arrays.asList(args).subList(subIndex + 1, args.length));
            if (configFile != null && subCl.getCommandSpec().findOption("-config") != null) {
                YamlConfig yaml = YamlConfig.load(configFile, subCl.getCommandSpec(), "wstunnel " + sub);
                subCl.setDefaultValueProvider(yaml);
            }
        }
        return cl;
    }

    /**
     * Completes a parse of the command line {@link #prepare} built: the lists of the subcommand's
     * -config file (which picocli's default values cannot carry, see {@link YamlConfig#applyLists}).
     * The execution strategy {@link #prepare} installs calls it; so must whoever parses without executing.
     */
    public static void applyConfigLists(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult sub = parsed.subcommand();
        if (sub != null && sub.commandSpec().defaultValueProvider() instanceof YamlConfig yaml) {
            yaml.applyLists(sub);
        }
    }

    /** The value of -config/--config in {@code args}, or null. */
    static String findConfigFile(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                return null;
            }
            if (a.equals("-config") || a.equals("--config")) {
                return i + 1 < args.size() ? args.get(i + 1) : null;
            }
            if (a.startsWith("-config=")) {
                return a.substring("-config=".length());
            }
            if (a.startsWith("--config=")) {
                return a.substring("--config=".length());
            }
        }
        return null;
    }

    private static int onParameterException(CommandLine.ParameterException ex, String[] args) {
        CommandLine c = ex.getCommandLine();
        String cmd = c.getCommandSpec().qualifiedName(" ");
        String msg = goSpelling(oneLine(ex.getMessage()), c.getCommandSpec());
        if (c.getCommandSpec().parent() == null && ex instanceof CommandLine.UnmatchedArgumentException
                && ex.getArgSpec() == null && args.length > 0 && !args[0].startsWith("-")) {
            c.getErr().println("wstunnel: unknown command '" + args[0] + "' (commands: "
                    + String.join(", ", c.getSubcommands().keySet()) + "; try 'wstunnel -help')");
            c.getErr().flush();
            return EXIT_USAGE;
        }
        if (ex instanceof CommandLine.UnmatchedArgumentException) {
            List<String> suggestions = ((CommandLine.UnmatchedArgumentException) ex).getSuggestions();
            if (!suggestions.isEmpty()) {
                msg += " (did you mean " + String.join(" or ", suggestions.subList(0, Math.min(3, suggestions.size())))
                        + "?)";
            }
        }
        c.getErr().println(cmd + ": " + msg + " (try '" + cmd + " -help')");
        c.getErr().flush();
        return EXIT_USAGE;
    }

    private static int onExecutionException(Exception ex, CommandLine c, CommandLine.ParseResult parseResult) {
        String cmd = c.getCommandSpec().qualifiedName(" ");
        if (ex instanceof UsageException) {
            c.getErr().println(cmd + ": " + oneLine(ex.getMessage()) + " (try '" + cmd + " -help')");
            c.getErr().flush();
            return EXIT_USAGE;
        }
        Logger log = LoggerFactory.getLogger(Main.class);
        log.debug("{} failed", cmd, ex);
        c.getErr().println(cmd + ": " + describe(ex));
        c.getErr().flush();
        return EXIT_FAILURE;
    }

    /** Names options in messages as users of the Go wstunnel write them: '-port', not '--port'. */
    static String goSpelling(String msg, CommandLine.Model.CommandSpec spec) {
        String m = msg;
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            String longest = o.longestName();
            if (longest.startsWith("--") && o.names().length > 1) {
                m = m.replace("'" + longest + "'", "'" + o.names()[0] + "'")
                        .replace("'" + longest + "=", "'" + o.names()[0] + "=");
            }
        }
        return m;
    }

    /** One line naming a failure: its message, and its cause's when that adds something. */
    static String describe(Throwable ex) {
        StringBuilder sb = new StringBuilder();
        Throwable t = ex;
        String last = null;
        int depth = 0;
        while (t != null && depth++ < 4) {
            String m = t.getMessage();
            if (m == null || m.isBlank()) {
                m = t.getClass().getSimpleName();
            }
            // "java.net.BindException: Address already in use" (a wrapped cause's toString) -> the message
            m = m.replaceAll("^(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ", "");
            if (last == null || !last.contains(m)) {
                if (sb.length() > 0) {
                    sb.append(": ");
                }
                sb.append(m);
                last = m;
            }
            t = t.getCause() == t ? null : t.getCause();
        }
        return oneLine(sb.toString());
    }

    /**
     * Why a file operation on {@code file} failed, in a few words: the JDK's file exceptions often
     * carry only the path ("/run/x.pid") as their message.
     */
    static String describeFileError(java.nio.file.Path file, java.io.IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            java.nio.file.Path parent = file.toAbsolutePath().getParent();
            return parent != null && !java.nio.file.Files.isDirectory(parent)
                    ? "directory " + parent + " does not exist" : "no such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null && !f.getReason().isBlank()) {
            return oneLine(f.getReason());
        }
        return describe(e);
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        return s.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }
}
