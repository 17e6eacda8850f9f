package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.protocol.Subprotocol;
import java.nio.ByteBuffer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Connection-level behaviour: handshake, HELLO, keep-alive, reconnects, shutdown. */
@Timeout(60)
class AgentTunnelTest {

    /** Go agent vectors B4b and B4c: -tunnel ws://tuser:tpass@host sends those credentials as Basic auth. */
    @Test
    void credentialsInTheTunnelUrlAreSentLikeTheGoAgent() throws Exception {
        String tunnelBasic = "Basic dHVzZXI6dHBhc3M="; // tuser:tpass, as captured from the Go agent
        try (FakeServer server = new FakeServer("", Settings.DEFAULT)) {
            URI plain = server.uri("/");
            URI withUser = URI.create(plain.getScheme() + "://tuser:tpass@" + plain.getRawAuthority() + plain.getRawPath());
            try (Agent agent = Agent.start(AgentConfig.builder().tunnel(withUser).token(Harness.TOKEN).build())) {
                FakeServer.Conn conn = server.awaitConnection();
                assertThat(conn.headers.get("Authorization")).isEqualTo(tunnelBasic);
                assertThat(conn.headers.get("X-Tunnel-Authorization")).isNull();
                assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();
            }
            try (Agent agent = Agent.start(AgentConfig.builder().tunnel(withUser).token(Harness.TOKEN)
                    .password("s3cret").build())) {
                FakeServer.Conn conn = server.awaitConnection();
                assertThat(conn.headers.get("Authorization")).isEqualTo("Basic "
                        + Base64.getEncoder().encodeToString((Harness.TOKEN + ":s3cret").getBytes(StandardCharsets.UTF_8)));
                assertThat(conn.headers.get("X-Tunnel-Authorization")).isEqualTo(tunnelBasic);
            }
        }
    }

    @Test
    void handshakeCarriesTokenPasswordVersionAndSubprotocolThenHello() throws Exception {
        Settings mine = new Settings(100_000, 17, 32 * 1024, 16 * 1024);
        try (FakeServer server = new FakeServer("/base", Settings.DEFAULT);
             Agent agent = Agent.start(AgentConfig.builder().tunnel(server.uri("/base/")).token(Harness.TOKEN)
                     .password("s3cret").clientVersion("test-1.2").settings(mine).build())) {
            FakeServer.Conn conn = server.awaitConnection();
            assertThat(conn.subprotocol).isEqualTo(Subprotocol.V2);
            assertThat(conn.headers.get("Origin")).isEqualTo(Harness.TOKEN);
            assertThat(conn.headers.get("X-Client-Version")).isEqualTo("test-1.2");
            assertThat(conn.headers.get("Authorization")).isEqualTo("Basic "
                    + Base64.getEncoder().encodeToString((Harness.TOKEN + ":s3cret").getBytes(StandardCharsets.UTF_8)));
            assertThat(conn.next(Frame.Hello.class).settings()).isEqualTo(mine);
            assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();
            assertThat(agent.isConnected()).isTrue();
        }
    }

    @Test
    void notConnectedUntilServerHello() throws Exception {
        try (FakeServer server = new FakeServer("", null);
             Agent agent = Agent.start(AgentConfig.builder().tunnel(server.uri("")).token(Harness.TOKEN).build())) {
            FakeServer.Conn conn = server.awaitConnection();
            conn.next(Frame.Hello.class);
            assertThat(agent.awaitConnected(Duration.ofMillis(300))).isFalse();
            conn.send(new Frame.Hello(Settings.DEFAULT));
            assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void firstFrameOtherThanHelloIsProtocolError() throws Exception {
        try (FakeServer server = new FakeServer("", null);
             Agent agent = Agent.start(AgentConfig.builder().tunnel(server.uri("")).token(Harness.TOKEN).build())) {
            FakeServer.Conn conn = server.awaitConnection();
            conn.next(Frame.Hello.class);
            conn.send(new Frame.WindowUpdate(1, 10));
            Frame.GoAway g = conn.next(Frame.GoAway.class);
            assertThat(g.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            assertThat(conn.awaitClosed(5000)).isTrue();
            assertClose(conn, 1002);
            assertThat(agent.isConnected()).isFalse();
        }
    }

    @Test
    void textMessageClosesWith1003() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> { })) {
            io.undertow.websockets.core.WebSockets.sendTextBlocking("hello", h.conn.channel);
            assertThat(h.conn.awaitClosed(5000)).isTrue();
            assertClose(h.conn, 1003);
        }
    }

    @Test
    void badStreamIdIsConnectionErrorAndNonHttpKindIsRefused() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(1, "")))) {
            h.conn.send(new Frame.Open(3, StreamKind.TCP, new RequestHead("GET", "x:1", "", "http", Headers.EMPTY), true));
            Frame.Reset r = h.conn.next(Frame.Reset.class);
            assertThat(r.streamId()).isEqualTo(3);
            assertThat(r.code()).isEqualTo(ErrorCode.REFUSED_STREAM);
            h.conn.send(Harness.get(2, "/even", Headers.EMPTY));
            assertThat(h.conn.next(Frame.GoAway.class).code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            assertThat(h.conn.awaitClosed(5000)).isTrue();
            assertClose(h.conn, 1002);
        }
    }

    @Test
    void tooManyConcurrentStreamsAreRefused() throws Exception {
        try (RawBackend slow = new RawBackend((s, head) -> s.getInputStream().read());
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(slow.port(), ""))
                     .settings(new Settings(65536, 1, 65536, 65536)))) {
            h.conn.send(Harness.get(1, "/a", Headers.EMPTY));
            h.conn.send(Harness.get(3, "/b", Headers.EMPTY));
            Frame.Reset r = h.conn.next(Frame.Reset.class);
            assertThat(r.streamId()).isEqualTo(3);
            assertThat(r.code()).isEqualTo(ErrorCode.REFUSED_STREAM);
        }
    }

    @Test
    void serverPingsAreAnswered() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> { })) {
            h.conn.ping();
            await().atMost(Duration.ofSeconds(5)).until(() -> h.conn.pongs.get() >= 1);
        }
    }

    @Test
    void reconnectsAfterTheServerDropsTheSocket() throws Exception {
        // The agent notices the drop by EOF, or at the latest when its next keep-alive ping (every
        // timeout/3) fails to write: once in CI the EOF went unnoticed and the ping came at 10 s, just
        // past the wait below. A 3 s timeout bounds detection to about a second either way.
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.timeout(Duration.ofSeconds(3)))) {
            h.conn.drop();
            assertThat(h.conn.awaitClosed(5000)).isTrue();
            FakeServer.Conn second = h.server.awaitConnection();
            second.next(Frame.Hello.class);
            await().atMost(Duration.ofSeconds(10)).until(h.agent::isConnected);
            assertThat(h.server.handshakes.get()).isEqualTo(2);
        }
    }

    @Test
    void deadPeerIsDetectedAndTunnelReopened() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.timeout(Duration.ofMillis(1500)))) {
            await().atMost(Duration.ofSeconds(5)).until(() -> h.conn.pings.get() >= 1);
            h.conn.answerPings = false;
            assertThat(h.conn.awaitClosed(10_000)).as("agent drops the silent tunnel").isTrue();
            FakeServer.Conn second = h.server.awaitConnection();
            assertThat(second.next()).isInstanceOf(Frame.Hello.class);
        }
    }

    @Test
    void aliveTunnelIsKeptWhilePongsArrive() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.timeout(Duration.ofMillis(900)))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> h.conn.pings.get() >= 8);
            assertThat(h.server.handshakes.get()).isEqualTo(1);
            assertThat(h.agent.isConnected()).isTrue();
        }
    }

    @Test
    void statusFileIsRewrittenOnPong(@TempDir Path dir) throws Exception {
        Path status = dir.resolve("status");
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.timeout(Duration.ofMillis(600)).statusFile(status))) {
            assertThat(h.agent.isConnected()).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(status));
            String text = Files.readString(status);
            assertThat(text).matches("Unix: \\d{10}\nTime: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d)\n");
        }
    }

    @Test
    void stopSendsGoAwayAndClosesGoingAway() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(1, "")))) {
            h.conn.send(Harness.get(5, "/x", Headers.EMPTY));
            assertThat(h.collect(5).reply().head().status()).isEqualTo(502);
            h.agent.stop(Duration.ofSeconds(2));
            Frame.GoAway g = h.conn.next(Frame.GoAway.class);
            assertThat(g.lastStreamId()).isEqualTo(5);
            assertThat(g.code()).isEqualTo(ErrorCode.GOING_AWAY);
            assertThat(h.conn.awaitClosed(5000)).isTrue();
            assertThat(h.conn.closeCode).isEqualTo(1001);
            assertThat(h.server.pollConnection(1500)).as("no reconnect after stop").isNull();
        }
    }

    @Test
    void serverGoAwayDrainsThenReconnects() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> { })) {
            h.conn.goAway();
            assertThat(h.conn.awaitClosed(5000)).isTrue();
            assertThat(h.conn.closeCode).isEqualTo(1000);
            FakeServer.Conn second = h.server.awaitConnection();
            assertThat(second.next()).isInstanceOf(Frame.Hello.class);
        }
    }

    @Test
    void oversizedMessageClosesWith1009() throws Exception {
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.settings(new Settings(65536, 16, 1024, 1024)))) {
            h.conn.sendRaw(ByteBuffer.allocate(5000));
            assertThat(h.conn.awaitClosed(5000)).isTrue();
            assertClose(h.conn, 1009);
        }
    }

    @Test
    void wrongSubprotocolIsAFailedDial() throws Exception {
        try (FakeServerNoProtocol server = new FakeServerNoProtocol();
             Agent agent = Agent.start(AgentConfig.builder().tunnel(server.uri()).token(Harness.TOKEN).protocol(AgentConfig.Protocol.V2)
                     .maxBackoff(Duration.ofMillis(300)).build())) {
            await().atMost(Duration.ofSeconds(10)).until(() -> server.upgrades.get() >= 2);
            assertThat(agent.isConnected()).isFalse();
        }
    }

    /** The JDK client cannot send 1002/1003/1009: the agent sends 1008 with the intended code first in the reason. */
    private static void assertClose(FakeServer.Conn conn, int intended) {
        assertThat(conn.closeCode).isEqualTo(1008);
        assertThat(conn.closeReason).startsWith(intended + " ");
    }
}
