package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.srv.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The commented samples in config/ are valid: every key known, every value accepted. */
class SampleConfigTest {
    private static final Path CONFIG = Path.of("..", "config");

    @Test
    void srvSample() {
        SrvCommand srv = Cmd.parse("srv", "-config", CONFIG.resolve("srv.yaml").toString());
        ServerConfig c = srv.serverConfig();
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.trustedProxies()).containsExactly("127.0.0.1/32");
    }

    /** Paths under /run in the samples are in the RuntimeDirectory systemd creates for each unit. */
    @Test
    void runtimePathsAreTheUnitsRuntimeDirectories() throws IOException {
        for (String name : new String[] {"srv", "cli"}) {
            String unit = Files.readString(CONFIG.resolve("wstunnel-" + name + ".service"));
            assertThat(unit).contains("\nRuntimeDirectory=wstunnel-" + name + "\n");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("/run/[^\\s]*")
                    .matcher(Files.readString(CONFIG.resolve(name + ".yaml")) + unit);
            int found = 0;
            while (m.find()) {
                assertThat(m.group()).as("a /run path for wstunnel-%s", name).startsWith("/run/wstunnel-" + name + "/");
                found++;
            }
            assertThat(found).as("/run paths in %s.yaml and its unit", name).isPositive();
        }
    }

    @Test
    void cliSample() {
        CliCommand cli = Cmd.parse("cli", "-config", CONFIG.resolve("cli.yaml").toString());
        AgentConfig c = cli.agentConfig(Map.of());
        assertThat(c.tunnel()).isEqualTo(URI.create("wss://wstun.example.com"));
        assertThat(c.server()).isEqualTo(URI.create("http://localhost:3000"));
    }

    @Test
    void commentedOutKeysAreValidToo() throws IOException {
        for (String name : new String[] {"srv", "cli"}) {
            String uncommented = Files.readString(CONFIG.resolve(name + ".yaml"))
                    .replaceAll("(?m)^# ([a-z-]+:.*)$", "$1")
                    .replaceAll("(?m)^#(   - .*)$", "$1");
            Path tmp = Files.createTempFile(name, ".yaml");
            try {
                Files.writeString(tmp, uncommented.replace("/etc/wstunnel/ca.pem", "../config/" + name + ".yaml")
                        .replace("/var/log/wstunnel/", System.getProperty("java.io.tmpdir") + "/")
                        .replace("/run/wstunnel-" + name + "/", System.getProperty("java.io.tmpdir") + "/"));
                Object cmd = Cmd.parse(name, "-config", tmp.toString());
                if (cmd instanceof SrvCommand) {
                    assertThat(((SrvCommand) cmd).serverConfig().passwords()).hasSize(2)
                            .containsEntry("my-second-token-456", "another,password");
                    assertThat(((SrvCommand) cmd).serverConfig().basePath()).isEqualTo("/wstunnel");
                } else {
                    AgentConfig c = ((CliCommand) cmd).agentConfig(Map.of());
                    assertThat(c.hostPattern()).isNotNull();
                    assertThat(c.proxy()).isNotNull();
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
