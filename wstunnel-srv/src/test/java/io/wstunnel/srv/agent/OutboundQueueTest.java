package io.wstunnel.srv.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.srv.limits.Limits;
import io.wstunnel.srv.ws.OutboundMeter;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The arithmetic of the agent socket's queue: what a frame costs, and the hard limit. */
class OutboundQueueTest {

    @Test
    void aFrameCostsItsWireSizePlusTheObjectsCarryingIt() {
        assertThat(OutboundMeter.FRAME_OVERHEAD).isEqualTo(192);
        assertThat(OutboundMeter.cost(0)).isEqualTo(2 + 192);
        assertThat(OutboundMeter.cost(125)).isEqualTo(2 + 125 + 192);
        assertThat(OutboundMeter.cost(126)).isEqualTo(4 + 126 + 192);
        assertThat(OutboundMeter.cost(65_535)).isEqualTo(4 + 65_535 + 192);
        assertThat(OutboundMeter.cost(65_536)).isEqualTo(10 + 65_536 + 192);
    }

    /** The number README gives for the defaults, worked out term by term. */
    @Test
    void theDefaultHardLimitIsAbout23MiB() {
        long dataFrame = 10 + 6 + 65_536 + 192;              // one DATA frame past the soft cap, per stream
        long controlFrame = 4 + 6 + 4_096 + 192;             // its END_STREAM and its RESET, per stream
        long open = 10 + 6 + 4 * 32_768 + 4_096 + 192;       // the OPEN that passed the soft cap
        long windowUpdates = ((256L * 262_144 + 2 * 8_388_608) / 131_072 + 256) * (2 + 6 + 4 + 192);
        long expected = 4_194_304 + 256 * (dataFrame + 2 * controlFrame) + open + windowUpdates + 256 * 1024;

        long hard = OutboundQueue.hardLimit(4 * 1024 * 1024, Limits.DEFAULT, 256 * 1024);

        assertThat(hard).isEqualTo(expected).isEqualTo(23_805_648L);
        assertThat(OutboundQueue.openLimit(4 * 1024 * 1024, Limits.DEFAULT)).as("new streams wait beyond")
                .isEqualTo(4_194_304 + 256 * dataFrame);
    }

    static Stream<Arguments> configurations() {
        return Stream.of(
                Arguments.of(4 * 1024 * 1024, Limits.DEFAULT, 256 * 1024),
                Arguments.of(16 * 1024, Limits.builder().maxStreamsPerAgent(2).maxHeaderBytes(1024).build(), 256 * 1024),
                Arguments.of(1, Limits.builder().maxStreamsPerAgent(1).build(), 1),
                Arguments.of(64 * 1024 * 1024, Limits.builder().maxStreamsPerAgent(10_000).maxStreamWindow(1 << 30).build(), 1024));
    }

    /**
     * Whatever the configuration, the limit leaves room for the overshoot of the soft cap a busy agent
     * causes: every stream's frame in flight at its largest (under the OPEN limit), its END_STREAM and
     * RESET, one OPEN as large as the header backstop, and every WINDOW_UPDATE its windows allow at the
     * smallest batch.
     */
    @ParameterizedTest
    @MethodSource("configurations")
    void theHardLimitCoversTheLargestLegitimateOvershoot(int soft, Limits limits, int initialWindow) {
        long streams = limits.maxStreamsPerAgent();
        long overshoot = streams * (OutboundMeter.cost(FrameCodec.HEADER_SIZE + OutboundQueue.MAX_DATA_PAYLOAD)
                + OutboundMeter.cost(FrameCodec.HEADER_SIZE)
                + OutboundMeter.cost(FrameCodec.HEADER_SIZE + 4 + FrameCodec.MAX_REASON_BYTES))
                + OutboundMeter.cost(FrameCodec.HEADER_SIZE + limits.parserHeaderBackstop())
                + (streams * initialWindow + limits.agentWindowBudget()) / Math.max(1, initialWindow / 2)
                * OutboundMeter.cost(FrameCodec.HEADER_SIZE + 4);

        assertThat(OutboundQueue.openLimit(soft, limits)).isGreaterThanOrEqualTo(soft
                + streams * OutboundMeter.cost(FrameCodec.HEADER_SIZE + OutboundQueue.MAX_DATA_PAYLOAD));
        assertThat(OutboundQueue.hardLimit(soft, limits, initialWindow))
                .isGreaterThanOrEqualTo(soft + overshoot + OutboundQueue.CONTROL_ALLOWANCE);
    }
}
