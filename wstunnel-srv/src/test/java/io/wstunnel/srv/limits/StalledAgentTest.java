package io.wstunnel.srv.limits;

import static io.wstunnel.srv.limits.Support.TOKEN_A;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.protocol.Subprotocol;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.StalledAgent;
import io.wstunnel.srv.TunnelServer;
import io.wstunnel.srv.agent.V2Session;
import io.wstunnel.srv.tunnel.TokenRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * An agent that completes its HELLO and then never reads its socket, while it keeps sending frames
 * the server must answer, within the frame-flood budget: the server's outbound queue for it reaches
 * its hard cap, and the server aborts that socket (one WARN) instead of buffering without end. Its
 * stream fails as for any lost agent, and another tenant is served throughout.
 */
@Timeout(60)
class StalledAgentTest {
    /** Frames per batch and the pause between batches: 10,000 a second, half the budget below. */
    static final int BATCH = 100;
    static final long PAUSE_MS = 10;
    /** Its first 8 characters, all a log shows, differ from the other tenant's. */
    static final String STALLED = "stalled-agent-token-0123";

    TunnelServer server;
    WsAgent tenant;
    ListAppender<ILoggingEvent> logs;

    @BeforeEach
    void start() throws Exception {
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .httpTimeout(Duration.ofSeconds(10)).maxQueuedBytesPerAgent(16 * 1024)
                .limits(Limits.builder().agentControlFramesPerSecond(20_000).maxStreamsPerAgent(2).maxHeaderBytes(1024).build())
                .build());
        tenant = WsAgent.connect(server.port(), TOKEN_A, Settings.DEFAULT);
        Support.serve(tenant);
        logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger(V2Session.class)).addAppender(logs);
    }

    @AfterEach
    void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(V2Session.class)).detachAppender(logs);
        tenant.close();
        server.stop(Duration.ZERO);
    }

    /** What the stalled agent sends: each frame makes the server queue an answer. */
    record Provocation(String what, int opcode, IntFunction<byte[]> payload) {
        @Override
        public String toString() {
            return what;
        }
    }

    static Stream<Provocation> provocations() {
        AtomicInteger nextId = new AtomicInteger(2);
        RequestHead head = new RequestHead("GET", "/", "x", "http", Headers.EMPTY);
        return Stream.of(
                new Provocation("agent OPENs, each answered with a RESET", StalledAgent.OP_BINARY,
                        i -> bytes(FrameCodec.encode(new Frame.Open(nextId.getAndAdd(2), StreamKind.HTTP, head, true)))),
                new Provocation("pings of 125 bytes, each answered with a pong", StalledAgent.OP_PING, i -> new byte[125]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("provocations")
    void anAgentThatStopsReadingLosesItsSocket(Provocation p) throws Exception {
        StalledAgent bad = StalledAgent.upgrade(server.port(), STALLED, Subprotocol.V2);
        bad.send(StalledAgent.OP_BINARY, i -> bytes(FrameCodec.encode(new Frame.Hello(Settings.DEFAULT))), 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.agents() == 2);
        // A request on the stalled agent's tunnel: its OPEN reaches the socket before anything piles up.
        CompletableFuture<Support.Response> victim = CompletableFuture.supplyAsync(() -> {
            try {
                return Support.raw(server.port(), Support.get(STALLED, "/victim"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> server.inFlight() == 1);

        AtomicBoolean stop = new AtomicBoolean();
        Thread flood = new Thread(() -> {
            while (!stop.get() && bad.send(p.opcode(), p.payload(), BATCH)) {
                try {
                    Thread.sleep(PAUSE_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "stalled-agent-flood");
        flood.setDaemon(true);
        flood.start();
        List<Integer> tenantStatuses = new CopyOnWriteArrayList<>();
        try {
            await("the stalled agent's socket is closed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        tenantStatuses.add(Support.raw(server.port(), Support.get(TOKEN_A, "/during")).status());
                        return server.agents() == 1;
                    });
        } finally {
            stop.set(true);
            flood.join(5000);
            bad.close();
        }
        assertThat(tenantStatuses).as("the other tenant throughout").isNotEmpty().containsOnly(200);
        assertThat(Support.raw(server.port(), Support.get(TOKEN_A, "/after")).status()).isEqualTo(200);
        assertThat(victim.get(15, TimeUnit.SECONDS).status()).as("its request, sent before it stalled").isEqualTo(502);

        List<String> warnings;
        synchronized (logs) { // appends hold the appender's lock
            warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
        }
        assertThat(warnings).as("one WARN").hasSize(1);
        assertThat(warnings.get(0)).contains("tunnel " + TokenRegistry.cut(STALLED) + " agent 127.0.0.1:")
                .contains("bytes queued").doesNotContain(STALLED);
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }
}
