package io.wstunnel.app;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A {@code -config FILE} YAML mapping used as picocli's default value provider: options given on the
 * command line win, the file fills in the rest, the built-in defaults come last.
 *
 * <p>Keys are the option names without the leading dash ({@code port}, {@code max-requests-per-tunnel}).
 * Scalars are used as written; a list becomes a comma-separated value ({@code passwords: [a:b, c:d]});
 * a mapping becomes {@code key:value} pairs ({@code passwords: {tok: pw}}). Unknown keys are an error.
 */
public final class YamlConfig implements IDefaultValueProvider {
    private static final List<String> NOT_ALLOWED = List.of("config", "h", "help");

    private final Path file;
    private final Map<String, String> values;

    private YamlConfig(Path file, Map<String, String> values) {
        this.file = file;
        this.values = values;
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
        for (Map.Entry<?, ?> e : ((Map<?, ?>) root).entrySet()) {
            String key = String.valueOf(e.getKey());
            OptionSpec option = known.get(key);
            if (option == null) {
                throw new UsageException(command, "-config " + path + ": unknown key '" + key + "' (known: "
                        + String.join(", ", new TreeSet<>(known.keySet())) + ")");
            }
            String value = stringify(e.getValue(), key, path, command);
            if (value != null) {
                values.put(option.longestName(), value);
            }
        }
        return new YamlConfig(path, values);
    }

    private static String stringify(Object v, String key, Path path, String command) {
        if (v == null) {
            return null;
        }
        if (v instanceof Map) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                parts.add(e.getKey() + ":" + scalar(e.getValue(), key, path, command));
            }
            return String.join(",", parts);
        }
        if (v instanceof Collection) {
            return ((Collection<?>) v).stream().map(x -> scalar(x, key, path, command)).collect(Collectors.joining(","));
        }
        return scalar(v, key, path, command);
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

    /** The values read, keyed by the option's longest name (e.g. "--port"). */
    public Map<String, String> values() {
        return values;
    }
}
