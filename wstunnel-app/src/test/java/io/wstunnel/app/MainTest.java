package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {

    @Test
    void versionCommand() {
        Cmd.Result r = Cmd.run("version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).matches("wstunnel \\d+\\.\\d+\\.\\d+\\S*\\R");
        assertThat(Cmd.run("-version").out()).isEqualTo(r.out());
    }

    @Test
    void helpOfEveryCommandExitsZero() {
        for (String cmd : List.of("srv", "cli", "demo", "version")) {
            for (String help : List.of("-h", "-help", "--help")) {
                Cmd.Result r = Cmd.run(cmd, help);
                assertThat(r.exitCode()).as(cmd + " " + help).isZero();
                assertThat(r.out()).contains("Usage: wstunnel " + cmd);
            }
        }
        assertThat(Cmd.run("srv", "-help").out()).contains("-port", "-max-requests-per-tunnel", "-passwords",
                "-config", "-pidfile", "-logfile", "-log-level", "-wstimeout", "-httptimeout", "-base-path");
        assertThat(Cmd.run("cli", "-help").out()).contains("-tunnel", "-token", "-server", "-regexp", "-timeout",
                "-insecure", "-certfile", "-proxy", "-statusfile");
    }

    @Test
    void noCommandPrintsUsageAndFails() {
        Cmd.Result r = Cmd.run();
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("srv", "cli", "demo", "version");
    }

    @Test
    void unknownCommandIsOneLine() {
        Cmd.Result r = Cmd.run("serve");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).hasLineCount(1).contains("unknown command 'serve'");
    }

    @Test
    void findConfigFileInEveryForm() {
        assertThat(Main.findConfigFile(List.of("-port", "1", "-config", "a.yaml"))).isEqualTo("a.yaml");
        assertThat(Main.findConfigFile(List.of("--config", "b.yaml"))).isEqualTo("b.yaml");
        assertThat(Main.findConfigFile(List.of("-config=c.yaml"))).isEqualTo("c.yaml");
        assertThat(Main.findConfigFile(List.of("--config=d.yaml"))).isEqualTo("d.yaml");
        assertThat(Main.findConfigFile(List.of("-port", "1"))).isNull();
    }

    @Test
    void describeIsOneLineAndSkipsRepeatedCauses() {
        Exception e = new RuntimeException("cannot start", new java.net.BindException("Address already in use"));
        assertThat(Main.describe(e)).isEqualTo("cannot start: Address already in use");
        assertThat(Main.describe(new RuntimeException("a\nb"))).isEqualTo("a; b");
        Exception wrapped = new IllegalStateException("cannot start on 0.0.0.0:80",
                new RuntimeException(new java.net.BindException("Address already in use")));
        assertThat(Main.describe(wrapped)).isEqualTo("cannot start on 0.0.0.0:80: Address already in use");
    }

    @Test
    void demoTokenIsRandomAndLongEnough() {
        String t = DemoCommand.randomToken(24);
        assertThat(t).hasSize(24).matches("[A-Za-z0-9]+");
        assertThat(DemoCommand.randomToken(24)).isNotEqualTo(t);
    }
}
