package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.wstunnel.cli.stream.RawStreams;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * A WebSocket stream reset (or its tunnel lost) while the agent is still upgrading toward its
 * target: the target's connection is closed at once, not when the upgrade would have ended (the
 * local response timeout, 60 s here), nothing more is sent for the stream, and the tunnel goes on.
 */
@Timeout(60)
class AgentUpgradeResetTest {
    private static final String SWITCHING = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    /** Well below the local response timeout the agent runs with. */
    private static final long PROMPT_MILLIS = 2000;

    /** Per path of the upgrade request: completes when the agent closes that connection. */
    private final CompletableFuture<String> hangClosed = new CompletableFuture<>();
    private final CompletableFuture<String> answerClosed = new CompletableFuture<>();
    private final CountDownLatch hangArrived = new CountDownLatch(1);
    private final LogGate gate = new LogGate();
    private final Logger rawLog = (Logger) LoggerFactory.getLogger(RawStreams.class);
    private Level rawLevel;

    @BeforeEach
    void watchLogs() {
        rawLevel = rawLog.getLevel();
        rawLog.setLevel(Level.DEBUG);
        rawLog.setAdditive(false);
        gate.start();
        rawLog.addAppender(gate);
    }

    @AfterEach
    void unwatchLogs() {
        gate.release.countDown();
        rawLog.detachAppender(gate);
        rawLog.setLevel(rawLevel);
        rawLog.setAdditive(true);
    }

    /**
     * The target: {@code /hang} takes the upgrade request and never answers; {@code /answer} accepts
     * it with a 101 followed at once by a WebSocket frame; {@code /ok} accepts it. Each then holds
     * the connection until the agent closes it.
     */
    private RawBackend target() throws IOException {
        return new RawBackend((s, head) -> {
            if (head.startsWith("GET /hang ")) {
                hangArrived.countDown();
                hangClosed.complete(readToEnd(s));
            } else if (head.startsWith("GET /answer ")) {
                RawBackend.write(s, SWITCHING + "\u0081\u0002hi");
                answerClosed.complete(readToEnd(s));
            } else {
                RawBackend.write(s, SWITCHING);
                readToEnd(s);
            }
        });
    }

    /** "closed" once the agent closes the connection, or what it sent instead. */
    private static String readToEnd(Socket s) {
        try {
            int b = s.getInputStream().read();
            return b < 0 ? "closed" : "agent sent byte " + b;
        } catch (java.net.SocketTimeoutException e) {
            return "still open after " + e.getMessage();
        } catch (IOException e) {
            return "closed"; // reset by the agent
        }
    }

    private static Harness agent(RawBackend target) throws InterruptedException {
        return new Harness(Settings.DEFAULT, b -> b.server(Harness.http(target.port(), ""))
                .localResponseTimeout(Duration.ofSeconds(60)));
    }

    private static Frame.Open upgrade(int id, String path) {
        return new Frame.Open(id, StreamKind.WEBSOCKET, new RequestHead("GET", path, "srv.example", "http",
                Headers.of("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "13")), false);
    }

    /** The agent's worker for {@code id} has given the stream up (after its reset). */
    private void awaitGivenUp(int id) {
        await().atMost(Duration.ofSeconds(5)).until(() -> gate.messages.stream()
                .anyMatch(m -> m.startsWith("Stream " + id + ": reset during the upgrade")));
    }

    /**
     * A later upgrade on {@code conn} gets its 101; no frame for {@code resetId} comes before it
     * (the tunnel writer is FIFO, so anything the reset stream's worker sent would be ahead of it).
     */
    private static void nextUpgradeWorks(FakeServer.Conn conn, int id, int resetId) throws InterruptedException {
        conn.send(upgrade(id, "/ok"));
        while (true) {
            Frame f = conn.next();
            assertThat(f.streamId()).as("a frame for the reset stream: %s", f).isNotEqualTo(resetId);
            if (f.streamId() == id) {
                assertThat(f).isInstanceOf(Frame.Reply.class);
                assertThat(((Frame.Reply) f).head().status()).isEqualTo(101);
                conn.send(new Frame.Reset(id, ErrorCode.CANCEL, "test done"));
                return;
            }
        }
    }

    @Test
    void resetFromTheServerClosesThePendingUpgradeAtOnce() throws Exception {
        try (RawBackend target = target(); Harness h = agent(target)) {
            h.conn.send(upgrade(1, "/hang"));
            assertThat(hangArrived.await(10, TimeUnit.SECONDS)).as("upgrade request at the target").isTrue();
            h.conn.send(new Frame.Reset(1, ErrorCode.CANCEL, "caller gone"));

            assertThat(hangClosed.get(PROMPT_MILLIS, TimeUnit.MILLISECONDS)).isEqualTo("closed");
            awaitGivenUp(1);
            nextUpgradeWorks(h.conn, 3, 1);
            assertThat(h.server.handshakes).as("same tunnel").hasValue(1);
        }
    }

    @Test
    void tunnelLossClosesThePendingUpgradeAtOnce() throws Exception {
        try (RawBackend target = target(); Harness h = agent(target)) {
            h.conn.send(upgrade(1, "/hang"));
            assertThat(hangArrived.await(10, TimeUnit.SECONDS)).as("upgrade request at the target").isTrue();
            h.conn.drop();

            assertThat(hangClosed.get(PROMPT_MILLIS, TimeUnit.MILLISECONDS)).isEqualTo("closed");
            awaitGivenUp(1);
            h.conn = h.server.awaitConnection();
            h.conn.next(Frame.Hello.class);
            nextUpgradeWorks(h.conn, 1, -1);
        }
    }

    /** wss://: the target takes the TCP connection and the TLS ClientHello, and never answers. */
    @Test
    void resetDuringTheTlsHandshakeClosesItAtOnce() throws Exception {
        try (java.net.ServerSocket tls = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> closed = CompletableFuture.supplyAsync(() -> {
                try (Socket s = tls.accept()) {
                    s.setSoTimeout(15_000);
                    int first = s.getInputStream().read();
                    if (first != 0x16) {
                        return "not a TLS handshake record: " + first;
                    }
                    hangArrived.countDown();
                    byte[] hello = new byte[16 * 1024];
                    while (s.getInputStream().read(hello) >= 0) {
                        // the rest of the ClientHello, then nothing until the agent closes
                    }
                    return "closed";
                } catch (java.net.SocketTimeoutException e) {
                    return "still open";
                } catch (IOException e) {
                    return "closed";
                }
            });
            try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(java.net.URI.create(
                    "https://127.0.0.1:" + tls.getLocalPort())).localResponseTimeout(Duration.ofSeconds(60)))) {
                h.conn.send(upgrade(1, "/hang"));
                assertThat(hangArrived.await(10, TimeUnit.SECONDS)).as("TLS handshake at the target").isTrue();
                h.conn.send(new Frame.Reset(1, ErrorCode.CANCEL, "caller gone"));

                assertThat(closed.get(PROMPT_MILLIS, TimeUnit.MILLISECONDS)).isEqualTo("closed");
                awaitGivenUp(1);
            }
        }
    }

    /**
     * The race: the target's 101 (and a first WebSocket frame) has been read when the RESET comes.
     * The agent's worker is held just past its last look at the stream (where it logs the upgrade),
     * the RESET is processed meanwhile, then the worker goes on: the connection is already closed,
     * no REPLY goes out and the frame is not relayed.
     */
    @Test
    void upgradeAnsweredJustBeforeTheResetIsNotRelayed() throws Exception {
        gate.holdOn = "Stream 1: upgraded to ";
        try (RawBackend target = target(); Harness h = agent(target)) {
            h.conn.send(upgrade(1, "/answer"));
            assertThat(gate.reached.await(10, TimeUnit.SECONDS)).as("the worker has the 101").isTrue();
            h.conn.send(new Frame.Reset(1, ErrorCode.CANCEL, "caller gone"));

            assertThat(answerClosed.get(PROMPT_MILLIS, TimeUnit.MILLISECONDS)).isEqualTo("closed");
            gate.release.countDown();
            awaitGivenUp(1);
            nextUpgradeWorks(h.conn, 3, 1);
            assertThat(h.server.handshakes).as("same tunnel").hasValue(1);
        }
    }

    /**
     * Records RawStreams' messages; holds the thread logging one that starts with {@link #holdOn}
     * until released (unsynchronized: other threads keep logging meanwhile).
     */
    private static final class LogGate extends UnsynchronizedAppenderBase<ILoggingEvent> {
        final List<String> messages = new CopyOnWriteArrayList<>();
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile String holdOn;

        @Override
        protected void append(ILoggingEvent e) {
            String m = e.getFormattedMessage();
            messages.add(m);
            String hold = holdOn;
            if (hold != null && m.startsWith(hold)) {
                reached.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
