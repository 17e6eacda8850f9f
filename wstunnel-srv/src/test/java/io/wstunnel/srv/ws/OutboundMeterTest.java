package io.wstunnel.srv.ws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decision of the hard limit on a socket's outbound queue. */
class OutboundMeterTest {
    final OutboundMeter meter = new OutboundMeter();
    final List<Long> refused = new ArrayList<>();

    @Test
    void framesAreCountedUntilWrittenAndTheLimitItselfIsAllowed() {
        meter.limit(1000);
        assertThat(meter.add(600, refused::add)).isTrue();
        assertThat(meter.add(400, refused::add)).as("exactly at the limit").isTrue();
        assertThat(meter.queued()).isEqualTo(1000);
        meter.release(600);
        assertThat(meter.add(500, refused::add)).isTrue();
        assertThat(meter.queued()).isEqualTo(900);
        assertThat(refused).isEmpty();
    }

    @Test
    void theFirstFrameOverTheLimitIsRefusedAndReportedOnceAndEveryLaterFrameIsRefused() {
        meter.limit(1000);
        assertThat(meter.add(900, refused::add)).isTrue();
        assertThat(meter.add(101, refused::add)).isFalse();
        assertThat(refused).as("reported once, with the count it would have made").containsExactly(1001L);
        assertThat(meter.queued()).as("a refused frame is not counted").isEqualTo(900);
        meter.release(900);
        assertThat(meter.add(1, refused::add)).as("nothing more for a peer that stopped reading").isFalse();
        assertThat(refused).hasSize(1);
        meter.force(50);
        assertThat(meter.queued()).as("the close frame is counted all the same").isEqualTo(50);
    }

    @Test
    void withoutALimitNothingIsRefused() {
        assertThat(meter.add(Integer.MAX_VALUE, refused::add)).isTrue();
        assertThat(meter.add(Integer.MAX_VALUE, refused::add)).isTrue();
        assertThat(refused).isEmpty();
    }
}
