package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.e2e.TunnelFixture;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code wstunnel cli -response-timeout S}: the value parsed from the command line is the one the agent
 * enforces, through a real server and agent toward a local service that never answers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliResponseTimeoutTest {

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withJdkBackend(backend -> { }).noAgent();

    @Test
    void aLocalServiceSilentBeyondTheResponseTimeoutGets502NamingIt() throws Exception {
        // Connections complete in the listen backlog; nothing ever reads or answers them.
        ServerSocket silent = tunnel.closeAfter(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        CliCommand cli = Cmd.parse("cli", "-tunnel", "ws://127.0.0.1:" + tunnel.serverPort(), "-token", tunnel.token(),
                "-server", "http://127.0.0.1:" + silent.getLocalPort(), "-response-timeout", "1");
        AgentConfig config = cli.agentConfig(Map.of());
        tunnel.startAgent(config);

        long start = System.nanoTime();
        HttpResponse<String> r = tunnel.callerGet("/long-poll");
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).isEqualTo("wstunnel cli: cannot reach http://127.0.0.1:" + silent.getLocalPort()
                + "/long-poll: no response within 1000 ms");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(seconds).as("seconds until the 502 with -response-timeout 1").isBetween(0.9, 10.0);
    }
}
