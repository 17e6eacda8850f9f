package io.wstunnel.cli.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class TunnelDialerTest {
    @Test
    void tunnelPathIsAppendedToTheBasePath() {
        assertThat(TunnelDialer.tunnelUri(URI.create("ws://h:1"))).isEqualTo(URI.create("ws://h:1/_tunnel"));
        assertThat(TunnelDialer.tunnelUri(URI.create("ws://h:1/"))).isEqualTo(URI.create("ws://h:1/_tunnel"));
        assertThat(TunnelDialer.tunnelUri(URI.create("wss://h/base"))).isEqualTo(URI.create("wss://h/base/_tunnel"));
        assertThat(TunnelDialer.tunnelUri(URI.create("https://h/a/b/"))).isEqualTo(URI.create("wss://h/a/b/_tunnel"));
        assertThatThrownBy(() -> TunnelDialer.tunnelUri(URI.create("ftp://h"))).isInstanceOf(IllegalArgumentException.class);
    }
}
