package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RttEstimatorTest {

    @Test
    void unknownUntilAPingIsAnswered() {
        RttEstimator r = new RttEstimator();
        assertThat(r.nanos()).isZero();
        r.pongReceived(5_000); // unsolicited
        assertThat(r.nanos()).isZero();
        r.pingSent(10_000);
        assertThat(r.nanos()).isZero();
        r.pongReceived(10_800);
        assertThat(r.nanos()).isEqualTo(800);
    }

    @Test
    void smoothsLikeTcp() {
        RttEstimator r = new RttEstimator();
        r.pingSent(0);
        r.pongReceived(800);
        r.pingSent(1_000);
        r.pongReceived(2_600); // sample 1600
        assertThat(r.nanos()).isEqualTo((7 * 800 + 1_600) / 8);
    }

    @Test
    void onlyOnePingIsTimedAtATime() {
        RttEstimator r = new RttEstimator();
        r.pingSent(0);
        r.pingSent(500); // still waiting for the first: not timed
        r.pongReceived(1_000);
        assertThat(r.nanos()).isEqualTo(1_000);
        r.pongReceived(1_200); // the second ping's pong: nothing outstanding, ignored
        assertThat(r.nanos()).isEqualTo(1_000);
    }
}
