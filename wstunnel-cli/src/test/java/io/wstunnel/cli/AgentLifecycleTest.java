package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.undertow.Undertow;
import io.wstunnel.cli.tunnel.Connector;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.Settings;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** Graceful stop, refused handshakes, proxy dialing. */
@Timeout(60)
class AgentLifecycleTest {

    @Test
    void stopLetsInFlightStreamsFinishAndRefusesNewOnes() throws Exception {
        CountDownLatch requestArrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (RawBackend backend = new RawBackend((s, head) -> {
                requestArrived.countDown();
                release.await(10, TimeUnit.SECONDS);
                RawBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
            });
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(Harness.get(1, "/slow", Headers.EMPTY));
            assertThat(requestArrived.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> h.agent.stop(Duration.ofSeconds(10)));
            Frame.GoAway g = h.conn.next(Frame.GoAway.class);
            assertThat(g.lastStreamId()).isEqualTo(1);
            assertThat(g.code()).isEqualTo(ErrorCode.GOING_AWAY);
            h.conn.send(Harness.get(3, "/late", Headers.EMPTY));
            Frame.Reset refused = h.conn.next(Frame.Reset.class);
            assertThat(refused.streamId()).isEqualTo(3);
            assertThat(refused.code()).isEqualTo(ErrorCode.REFUSED_STREAM);
            assertThat(stopped).isNotDone();
            release.countDown();
            Harness.Response r = h.collect(1);
            assertThat(r.text()).isEqualTo("done");
            assertThat(h.conn.awaitClosed(5000)).isTrue();
            assertThat(h.conn.closeCode).isEqualTo(1001);
            stopped.get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A local service that answers before reading the whole request body: the response is relayed,
     * and the local connection, which can carry nothing more (its request is unfinished), is closed
     * rather than held open waiting for body bytes that will never come.
     */
    @Test
    void earlyResponseBeforeTheBodyIsReadReleasesTheLocalConnection() throws Exception {
        CompletableFuture<Boolean> closedByAgent = new CompletableFuture<>();
        try (RawBackend backend = new RawBackend((s, head) -> {
                RawBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                s.setSoTimeout(8_000);
                try {
                    java.io.InputStream in = s.getInputStream();
                    while (in.read(new byte[8192]) >= 0) {
                        // drain what was sent of the body until the agent closes
                    }
                    closedByAgent.complete(true);
                } catch (java.net.SocketTimeoutException e) {
                    closedByAgent.complete(false);
                } catch (java.io.IOException e) {
                    closedByAgent.complete(true); // reset by the agent
                }
            });
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(new Frame.Open(1, io.wstunnel.protocol.StreamKind.HTTP, new io.wstunnel.protocol.RequestHead(
                    "POST", "/upload", "a", "http", Headers.of("Content-Length", "100000")), false));
            h.conn.send(new Frame.Data(1, java.nio.ByteBuffer.allocate(1000), false));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("ok");
            assertThat(closedByAgent.get(15, TimeUnit.SECONDS)).as("local connection closed by the agent").isTrue();
        }
    }

    @Test
    void stopCutsStreamsThatOutliveTheGrace() throws Exception {
        CountDownLatch requestArrived = new CountDownLatch(1);
        try (RawBackend backend = new RawBackend((s, head) -> {
                requestArrived.countDown();
                s.getInputStream().read();
            });
             Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(backend.port(), "")))) {
            h.conn.send(Harness.get(1, "/never", Headers.EMPTY));
            assertThat(requestArrived.await(10, TimeUnit.SECONDS)).isTrue();
            long t0 = System.nanoTime();
            h.agent.stop(Duration.ofMillis(300));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            h.conn.next(Frame.GoAway.class);
            Frame.Reset r = h.conn.next(Frame.Reset.class);
            assertThat(r.code()).isEqualTo(ErrorCode.CANCEL);
            assertThat(h.conn.awaitClosed(5000)).isTrue();
        }
    }

    @Test
    void refusedHandshakeIsLoggedWithItsStatusAndRetried() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        Undertow server = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(1)
                .setHandler(ex -> {
                    attempts.incrementAndGet();
                    ex.setStatusCode(401);
                    ex.getResponseHeaders().put(io.undertow.util.Headers.WWW_AUTHENTICATE, "Basic realm=\"wstunnel\"");
                    ex.getResponseSender().send("bad password");
                }).build();
        server.start();
        Logger logger = (Logger) LoggerFactory.getLogger(Connector.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
            try (Agent agent = Agent.start(AgentConfig.builder().tunnel(URI.create("ws://127.0.0.1:" + port))
                    .token(Harness.TOKEN).password("wrong").maxBackoff(Duration.ofMillis(300)).build())) {
                await().atMost(Duration.ofSeconds(10)).until(() -> attempts.get() >= 2);
                assertThat(agent.isConnected()).isFalse();
            }
            assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("HTTP 401"));
            assertThat(logs.list).noneSatisfy(e -> assertThat(e.getFormattedMessage()).contains("wrong"));
        } finally {
            logger.detachAppender(logs);
            server.stop();
        }
    }

    @Test
    void dialsThroughAnAuthenticatingConnectProxy() throws Exception {
        try (FakeServer server = new FakeServer("", Settings.DEFAULT);
             ConnectProxy proxy = new ConnectProxy("pu", "pp");
             Agent agent = Agent.start(AgentConfig.builder().tunnel(server.uri("")).token(Harness.TOKEN)
                     .proxy(URI.create("http://pu:pp@127.0.0.1:" + proxy.port())).build())) {
            FakeServer.Conn conn = server.awaitConnection();
            conn.next(Frame.Hello.class);
            assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();
            assertThat(proxy.tunnels.get()).isEqualTo(1);
        }
    }

    @Test
    void stopLeavesNoAgentThreadsBehind() throws Exception {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        try (Harness h = new Harness(Settings.DEFAULT, b -> b.server(Harness.http(1, "")))) {
            h.conn.send(Harness.get(1, "/x", Headers.EMPTY));
            h.collect(1);
            h.agent.stop(Duration.ofSeconds(1));
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .filteredOn(t -> !before.contains(t) && t.isAlive() && !t.getName().startsWith("awaitility"))
                .filteredOn(t -> !t.isDaemon() || t.getName().startsWith("wstunnel-")
                        || t.getName().startsWith("httpclient-dispatch"))
                .isEmpty());
    }
}
