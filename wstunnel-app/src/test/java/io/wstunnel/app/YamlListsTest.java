package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.cli.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** A YAML list for an option that takes several values gives each element as one value, as if repeated. */
class YamlListsTest {
    private static final String TOKEN = "0123456789abcdef";

    @TempDir
    Path dir;

    private Path yaml(String... lines) throws IOException {
        return Files.writeString(dir.resolve("c" + System.nanoTime() + ".yaml"), String.join("\n", lines) + "\n");
    }

    private static AgentConfig cli(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "cli";
        System.arraycopy(args, 0, all, 1, args.length);
        return ((CliCommand) Cmd.parse(all)).agentConfig(Map.of());
    }

    @Test
    void tcpListGivesOneTargetPerElement() throws IOException {
        Path flow = yaml("tunnel: ws://h", "token: " + TOKEN, "tcp: [ssh=127.0.0.1:22, pg=127.0.0.1:5432]");
        assertThat(cli("-config", flow.toString()).tcpTargets())
                .containsExactly(Map.entry("pg", "127.0.0.1:5432"), Map.entry("ssh", "127.0.0.1:22"));
        Path block = yaml("tunnel: ws://h", "token: " + TOKEN, "tcp:", "  - ssh=127.0.0.1:22", "  - v6=[::1]:8022");
        assertThat(cli("-config", block.toString()).tcpTargets())
                .containsExactly(Map.entry("ssh", "127.0.0.1:22"), Map.entry("v6", "[::1]:8022"));
        Path scalar = yaml("tunnel: ws://h", "token: " + TOKEN, "tcp: ssh=127.0.0.1:22");
        assertThat(cli("-config", scalar.toString()).tcpTargets()).containsExactly(Map.entry("ssh", "127.0.0.1:22"));
    }

    @Test
    void theCommandLineWinsOverAYamlList() throws IOException {
        Path y = yaml("tunnel: ws://h", "token: " + TOKEN, "tcp: [ssh=127.0.0.1:22, pg=127.0.0.1:5432]",
                "deny: [10.0.0.0/8]");
        AgentConfig c = cli("-config", y.toString(), "-tcp", "web=127.0.0.1:80");
        assertThat(c.tcpTargets()).containsExactly(Map.entry("web", "127.0.0.1:80"));
        assertThat(c.denyRules().rules()).contains("10.0.0.0/8");
        assertThat(cli("-config", y.toString(), "-deny", "192.168.0.0/16").denyRules().rules())
                .contains("192.168.0.0/16").doesNotContain("10.0.0.0/8");
    }

    @Test
    void anElementOfACommaSplitOptionIsSplitAsOnTheCommandLine() throws IOException {
        Path y = yaml("tunnel: ws://h", "token: " + TOKEN, "deny: [\"10.0.0.0/8,fd00::/8\", 192.168.0.0/16]");
        assertThat(cli("-config", y.toString()).denyRules().rules())
                .contains("10.0.0.0/8", "fd00:0:0:0:0:0:0:0/8", "192.168.0.0/16");
    }

    @Test
    void aBadElementIsReportedAloneWhenTheCommandRuns() throws IOException {
        Path y = yaml("tunnel: ws://h", "token: " + TOKEN, "tcp: [ssh=127.0.0.1:22, \"pg 127.0.0.1:5432\"]");
        Cmd.Result r = Cmd.run("cli", "-config", y.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).hasLineCount(1).contains("-tcp expects name=host:port, got 'pg 127.0.0.1:5432'")
                .doesNotContain("ssh=");
    }

    @Test
    void everyMultiValueOptionOfSrvAndCliTakesOneValuePerElement() throws IOException {
        List<String> seen = new ArrayList<>();
        for (String command : List.of("srv", "cli")) {
            CommandLine.Model.CommandSpec spec = Main.prepare(new String[] {command}).getSubcommands().get(command)
                    .getCommandSpec();
            for (OptionSpec option : spec.options()) {
                if (!option.isMultiValue()) {
                    continue;
                }
                String key = option.longestName().replaceFirst("^-+", "");
                Path y = yaml(key + ": [\"first value\", \"second value\"]");
                String[] args = {command, "-config", y.toString()};
                CommandLine cl = Main.prepare(args);
                CommandLine.ParseResult parsed = cl.parseArgs(args);
                Main.applyConfigLists(parsed);
                Object value = parsed.subcommand().commandSpec().findOption(option.longestName()).getValue();
                assertThat(value).as(command + " " + key).isEqualTo(List.of("first value", "second value"));
                seen.add(command + " " + key);
            }
        }
        assertThat(seen).contains("srv passwords", "srv trusted-proxies", "cli deny", "cli tcp");
    }

    @Test
    void onlyPasswordsKeepsACommaInsideAnElement() throws IOException {
        List<String> whole = new ArrayList<>();
        for (String command : List.of("srv", "cli")) {
            CommandLine.Model.CommandSpec spec = Main.prepare(new String[] {command}).getSubcommands().get(command)
                    .getCommandSpec();
            for (OptionSpec option : spec.options()) {
                if (!option.isMultiValue() || !",".equals(option.splitRegex())) {
                    continue;
                }
                String key = option.longestName().replaceFirst("^-+", "");
                String[] args = {command, "-config", yaml(key + ": [\"a,b\", c]").toString()};
                CommandLine.ParseResult parsed = Main.prepare(args).parseArgs(args);
                Main.applyConfigLists(parsed);
                Object value = parsed.subcommand().commandSpec().findOption(option.longestName()).getValue();
                if (value.equals(List.of("a,b", "c"))) {
                    whole.add(command + " " + key);
                } else {
                    assertThat(value).as(command + " " + key).isEqualTo(List.of("a", "b", "c"));
                }
            }
        }
        assertThat(whole).containsExactly("srv passwords");
    }
}
