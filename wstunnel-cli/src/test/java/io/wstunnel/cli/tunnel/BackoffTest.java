package io.wstunnel.cli.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void ceilingDoublesUpToTheCapAndResets() {
        List<Long> bounds = new ArrayList<>();
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10), bound -> {
            bounds.add(bound);
            return bound - 1; // the largest value full jitter can pick
        });
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            delays.add(b.nextDelayMillis());
        }
        assertThat(delays).containsExactly(1000L, 2000L, 4000L, 8000L, 10000L, 10000L);
        b.reset();
        assertThat(b.nextDelayMillis()).isEqualTo(1000L);
    }

    @Test
    void jitterIsFullButNeverBelowTheFloor() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), bound -> 0);
        assertThat(b.nextDelayMillis()).isEqualTo(100L);
        for (int i = 0; i < 100; i++) {
            assertThat(b.nextDelayMillis()).isEqualTo(100L); // no overflow after many attempts
        }
    }
}
