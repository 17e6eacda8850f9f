package io.wstunnel.srv.streams;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StreamRoutesTest {
    @Test
    void tcpNames() {
        assertThat(StreamRoutes.tcpName("/_tcp/ssh")).isEqualTo("ssh");
        assertThat(StreamRoutes.tcpName("/_tcp/db.primary-1")).isEqualTo("db.primary-1");
        assertThat(StreamRoutes.tcpName("/_tcp/a%20b")).isEmpty();
        assertThat(StreamRoutes.tcpName("/_tcp/")).isEmpty();
        assertThat(StreamRoutes.tcpName("/_tcp/a/b")).isEmpty();
        assertThat(StreamRoutes.tcpName("/other")).isNull();
    }

    @Test
    void closeReasonsFitAControlFrame() {
        assertThat(TcpBridge.clip("short")).isEqualTo("short");
        String longReason = "tcp target refused: " + "é".repeat(200);
        assertThat(TcpBridge.clip(longReason).getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(123);
    }
}
