package io.wstunnel.srv.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** An agent's X-Client-Version cannot tamper with log lines or admin views: printable ASCII, bounded. */
class ShownVersionTest {
    @Test
    void printableVersionsPassUnchanged() {
        assertThat(AgentEndpoint.shownVersion("wstunnel v1.0.7 - 2019-03-04 (go)")).isEqualTo("wstunnel v1.0.7 - 2019-03-04 (go)");
        assertThat(AgentEndpoint.shownVersion(null)).isEmpty();
    }

    @Test
    void controlAndNonAsciiCharactersBecomeQuestionMarks() {
        assertThat(AgentEndpoint.shownVersion("v1\u001b[31mred\r\nINFO fake line\u0000\u00e9"))
                .isEqualTo("v1?[31mred??INFO fake line??");
    }

    @Test
    void longVersionsAreCut() {
        String shown = AgentEndpoint.shownVersion("x".repeat(5000));
        assertThat(shown).hasSize(AgentEndpoint.MAX_VERSION + 3).endsWith("...");
    }
}
