package io.wstunnel.app;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * A {@code -config FILE} YAML mapping used as picocli's default value provider: options given on the
 * command line win, the file fills in the rest, the built-in defaults come last.
 *
 * <p>Keys are the option names without the leading dash ({@code port}, {@code max-requests-per-tunnel}).
 * Scalars are used as written, as one value given on the command line. For an option that takes
 * several values (-tcp, -deny, -passwords, -trusted-proxies), a list gives each element as one
 * value, as if the option were repeated ({@code tcp: [ssh=127.0.0.1:22, pg=127.0.0.1:5432]}), and a
 * mapping gives one {@code key:value} value per entry ({@code passwords: {tok: pw}}); picocli cannot
 * take several values through a default value, so {@link #applyLists} sets those after parsing,
 * unless the command line gave the option. An element is split at commas as a command-line value
 * would be, except for the options in {@link #WHOLE_ELEMENTS}. For any other option a list or mapping
 * is joined with commas. Unknown keys are an error.
 */
public final class YamlConfig implements IDefaultValueProvider {
    private static final List<String> NOT_ALLOWED = List.of("config", "h", "help");
    /**
     * Comma-split options whose list elements (and mapping entries) are each exactly one value, never
     * split: a password may contain a comma, and a YAML list is the only way to give one. A plain
     * string still splits at commas, as on the command line.
     */
    static final java.util.Set<String> WHOLE_ELEMENTS = java.util.Set.of("--passwords");

    private final Path file;
    private final Map<String, String> values;
    /** Multi-value options given as a YAML list or mapping: their values, one per element or entry. */
    private final Map<OptionSpec, List<String>> lists;

    private YamlConfig(Path file, Map<String, String> values, Map<OptionSpec, List<String>> lists) {
        this.file = file;
        this.values = values;
        this.lists = lists;
    }

    public static YamlConfig load(String file, CommandSpec spec, String command) {
        Path path = Path.of(file);
        String text;
        try {
            text = Files.readString(path);
        } catch (NoSuchFileException e) {
            throw new UsageException(command, "-config " + file + ": no such file");
        } catch (IOException e) {
            throw new UsageException(command, "-config " + file + ": cannot read: " + Main.describeFileError(path, e));
        }
        return parse(path, text, spec, command);
    }

    static YamlConfig parse(Path path, String text, CommandSpec spec, String command) {
        Object root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readValue(text.isBlank() ? "{}" : text, Object.class);
        } catch (JacksonException e) {
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
            throw new UsageException(command, "-config " + path + ": not valid YAML" + where + ": "
                    + Main.oneLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new UsageException(command, "-config " + path + ": " + Main.describe(e));
        }
        if (root == null) {
            root = Map.of();
        }
        if (!(root instanceof Map)) {
            throw new UsageException(command, "-config " + path + ": expected a mapping of option names to values");
        }
        Map<String, OptionSpec> known = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            for (String n : o.names()) {
                String key = n.replaceFirst("^-+", "");
                if (!NOT_ALLOWED.contains(key)) {
                    known.put(key, o);
                }
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        Map<OptionSpec, List<String>> lists = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) root).entrySet()) {
            String key = String.valueOf(e.getKey());
            OptionSpec option = known.get(key);
            if (option == null) {
                throw new UsageException(command, "-config " + path + ": unknown key '" + key + "' (known: "
                        + String.join(", ", new TreeSet<>(known.keySet())) + ")");
            }
            Object v = e.getValue();
            if (v == null) {
                continue;
            }
            List<String> elements = elements(v, key, path, command);
            if (elements == null) {
                values.put(option.longestName(), scalar(v, key, path, command));
            } else if (option.isMultiValue()) {
                requireStringList(option);
                lists.put(option, elements);
            } else {
                values.put(option.longestName(), String.join(",", elements));
            }
        }
        return new YamlConfig(path, values, lists);
    }

    /** A list's elements or a mapping's "key:value" entries, as strings; null for a scalar. */
    private static List<String> elements(Object v, String key, Path path, String command) {
        List<String> out = new ArrayList<>();
        if (v instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                out.add(e.getKey() + ":" + scalar(e.getValue(), key, path, command));
            }
            return out;
        }
        if (v instanceof Collection) {
            for (Object x : (Collection<?>) v) {
                out.add(scalar(x, key, path, command));
            }
            return out;
        }
        return null;
    }

    /** {@link #applyLists} sets values without picocli's converters: only List&lt;String&gt; options qualify. */
    private static void requireStringList(OptionSpec option) {
        Class<?>[] aux = option.auxiliaryTypes();
        if (!Collection.class.isAssignableFrom(option.type()) || aux.length != 1 || aux[0] != String.class) {
            throw new IllegalStateException(option.longestName() + ": YAML lists need a List<String> option");
        }
    }

    /**
     * Sets the multi-value options this file gives as lists on the parsed subcommand {@code parsed},
     * except those its command line gave (the command line wins, as for every option). Each element
     * counts as one command-line value: an option that splits its values at commas splits each
     * element too, unless it is one of {@link #WHOLE_ELEMENTS}.
     */
    public void applyLists(ParseResult parsed) {
        for (Map.Entry<OptionSpec, List<String>> e : lists.entrySet()) {
            OptionSpec option = e.getKey();
            if (parsed.hasMatchedOption(option)) {
                continue;
            }
            String split = WHOLE_ELEMENTS.contains(option.longestName()) ? null : option.splitRegex();
            List<String> out = new ArrayList<>();
            for (String element : e.getValue()) {
                if (split == null || split.isEmpty()) {
                    out.add(element);
                } else {
                    out.addAll(Arrays.asList(element.split(split)));
                }
            }
            option.setValue(out);
        }
    }

    private static String scalar(Object v, String key, Path path, String command) {
        if (v instanceof Map || v instanceof Collection) {
            throw new UsageException(command, "-config " + path + ": key '" + key + "' is nested too deeply");
        }
        return v == null ? "" : String.valueOf(v);
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (argSpec instanceof OptionSpec) {
            return values.get(((OptionSpec) argSpec).longestName());
        }
        return null;
    }

    public Path file() {
        return file;
    }

    /** The scalar values read, keyed by the option's longest name (e.g. "--port"); see {@link #applyLists} for lists. */
    public Map<String, String> values() {
        return values;
    }
}
