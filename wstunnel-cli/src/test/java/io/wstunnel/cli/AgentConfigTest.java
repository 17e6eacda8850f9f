package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class AgentConfigTest {
    @Test
    void toStringHidesSecrets() {
        AgentConfig c = AgentConfig.builder().tunnel(URI.create("wss://h")).token("abcdefghijklmnopqrstuvwxyz")
                .password("hunter2").proxy(URI.create("http://user:pw@proxy:3128")).build();
        assertThat(c.toString()).contains("token=abcdefgh...", "password=***", "proxy=http://***@proxy:3128")
                .doesNotContain("ijklmnop", "hunter2", "user:pw");
    }
}
