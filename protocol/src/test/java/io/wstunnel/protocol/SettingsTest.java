package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;

class SettingsTest {

    private static void invalid(int window, int streams, int frame, int head) {
        ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> new Settings(window, streams, frame, head));
        assertThat(e).as("%d %d %d %d", window, streams, frame, head).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
        assertThat(e.streamLevel()).isFalse();
    }

    @Test
    void defaultsMatchTheSpec() {
        assertThat(Settings.DEFAULT).isEqualTo(new Settings(262144, 256, 65536, 65536));
    }

    @Test
    void ranges() {
        invalid(0, 1, 1024, 1024);
        invalid(-1, 1, 1024, 1024);
        invalid(1, 0, 1024, 1024);
        invalid(1, Integer.MIN_VALUE, 1024, 1024);
        invalid(1, 1, 1023, 1024);
        invalid(1, 1, 16 * 1024 * 1024 + 1, 1024);
        invalid(1, 1, 1024, 1023);
        invalid(1, 1, 1024, 16 * 1024 * 1024 + 1);
        new Settings(1, 1, 1024, 1024);
        new Settings(Integer.MAX_VALUE, Integer.MAX_VALUE, 16 * 1024 * 1024, 16 * 1024 * 1024);
    }

    @Test
    void maxFrameSizeCoversDataHeadsAndControlFrames() {
        assertThat(Settings.DEFAULT.maxFrameSize()).isEqualTo(6 + 65536);
        assertThat(new Settings(1, 1, 2048, 100_000).maxFrameSize()).isEqualTo(6 + 100_000);
        assertThat(new Settings(1, 1, 1 << 24, 1024).maxFrameSize()).isEqualTo(6 + (1 << 24));
        // a RESET or GOAWAY may carry up to 4096 bytes even when both settings are smaller
        assertThat(new Settings(1, 1, 1024, 1024).maxFrameSize()).isEqualTo(6 + FrameCodec.MAX_CONTROL_PAYLOAD);
    }
}
