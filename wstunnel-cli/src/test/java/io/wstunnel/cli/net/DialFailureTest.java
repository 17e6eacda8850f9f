package io.wstunnel.cli.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class DialFailureTest {

    private static ConnectException bareConnectException() {
        ConnectException e = new ConnectException();
        e.initCause(new ClosedChannelException());
        return e; // what the JDK 17 client gives for a refused connection
    }

    @Test
    void reasonsWithoutClassNamesOrRepeats() {
        SSLHandshakeException tls = new SSLHandshakeException("PKIX path building failed: "
                + "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path "
                + "to requested target");
        assertThat(DialFailure.reasons(new CompletionException(tls)))
                .isEqualTo("PKIX path building failed: unable to find valid certification path to requested target");
        ConnectException outer = new ConnectException("connect failed");
        outer.initCause(new ConnectException("Connection refused"));
        assertThat(DialFailure.reasons(outer)).isEqualTo("connect failed: Connection refused");
        assertThat(DialFailure.reasons(new RuntimeException("a\nb", new RuntimeException("b")))).isEqualTo("a; b");
        assertThat(DialFailure.reasons(new UnknownHostException("nowhere.invalid"))).isEqualTo("unknown host nowhere.invalid");
        ConnectException unresolved = new ConnectException();
        unresolved.initCause(new UnresolvedAddressException());
        assertThat(DialFailure.reasons(unresolved)).isEqualTo("cannot resolve the host name");
    }

    @Test
    void aBareConnectExceptionHasNoReasonAndIsProbed() {
        assertThat(DialFailure.reasons(new CompletionException(bareConnectException()))).isNull();
        assertThat(DialFailure.needsProbe(bareConnectException())).isTrue();
        assertThat(DialFailure.needsProbe(new ConnectException("Connection refused"))).isFalse();
        assertThat(DialFailure.needsProbe(new java.io.IOException())).isFalse();
    }

    @Test
    void theProbeFindsTheReasonOnARealSocket() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        InetSocketAddress hop = InetSocketAddress.createUnresolved("127.0.0.1", closedPort);
        assertThat(DialFailure.probe(hop, Duration.ofSeconds(2))).isEqualTo("Connection refused");
        assertThat(DialFailure.describe(bareConnectException(), hop, false, Duration.ofSeconds(2)))
                .isEqualTo("127.0.0.1:" + closedPort + ": Connection refused");
        assertThat(DialFailure.describe(bareConnectException(), hop, true, Duration.ofSeconds(2)))
                .isEqualTo("proxy 127.0.0.1:" + closedPort + ": Connection refused");
        try (ServerSocket open = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress up = InetSocketAddress.createUnresolved("127.0.0.1", open.getLocalPort());
            assertThat(DialFailure.probe(up, Duration.ofSeconds(2))).as("connects now: nothing to add").isNull();
            assertThat(DialFailure.describe(bareConnectException(), up, false, Duration.ofSeconds(2)))
                    .isEqualTo("127.0.0.1:" + open.getLocalPort() + ": ConnectException");
        }
    }
}
