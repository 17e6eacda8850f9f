package io.wstunnel.srv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** ServerConfig refuses durations and sizes the server cannot run with; its defaults are valid. */
class ServerConfigTest {

    static void refused(UnaryOperator<ServerConfig.Builder> change, String message) {
        assertThatThrownBy(() -> change.apply(ServerConfig.builder()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void defaultsAreValid() {
        ServerConfig c = ServerConfig.builder().build();
        assertThat(c.tokenIdleTimeout()).isEqualTo(Duration.ofMinutes(60));
        assertThat(c.httpTimeout()).isEqualTo(Duration.ofSeconds(1200));
        assertThat(c.wsTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.reconnectGrace()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.maxQueuedBytesPerAgent()).isEqualTo(4 * 1024 * 1024);
    }

    @Test
    void aZeroOrNegativeTokenIdleTimeoutIsRefused() {
        refused(b -> b.tokenIdleTimeout(Duration.ZERO), "token idle timeout must be positive");
        refused(b -> b.tokenIdleTimeout(Duration.ofSeconds(-1)), "token idle timeout must be positive");
    }

    @Test
    void zeroOrNegativeTimeoutsAreRefused() {
        refused(b -> b.httpTimeout(Duration.ZERO), "http timeout must be positive");
        refused(b -> b.httpTimeout(Duration.ofMillis(-1)), "http timeout must be positive");
        refused(b -> b.wsTimeout(Duration.ZERO), "ws timeout must be positive");
        refused(b -> b.shutdownGrace(Duration.ofSeconds(-1)), "shutdown grace must be 0 or more");
        refused(b -> b.reconnectGrace(Duration.ofSeconds(-1)), "reconnect grace must be 0 or more");
        assertThat(ServerConfig.builder().shutdownGrace(Duration.ZERO).reconnectGrace(Duration.ZERO).build())
                .as("0 is a valid grace").isNotNull();
    }

    @Test
    void countsBelowTheirMinimumAreRefused() {
        refused(b -> b.maxQueuedBytesPerAgent(0), "max queued bytes per agent must be at least 1");
        refused(b -> b.maxRequestsPerTunnel(0), "max requests per tunnel must be at least 1");
        refused(b -> b.maxClientsPerToken(-1), "max clients per token must be 0 (unlimited) or more");
        refused(b -> b.port(65536), "port must be 0..65535");
    }
}
