package io.wstunnel.cli.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.FrameType;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The agent's session driven frame by frame, without sockets: what it answers and which handlers it tells. */
class TunnelSessionTest {
    private static final Settings SERVER = new Settings(262144, 256, 65536, 65536);

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private final RecordingSocket ws = new RecordingSocket();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    /** Records every frame the agent writes; every send completes at once. */
    static final class RecordingSocket implements WebSocket {
        final List<Frame> frames = Collections.synchronizedList(new ArrayList<>());

        @Override
        public CompletableFuture<WebSocket> sendBinary(ByteBuffer data, boolean last) {
            frames.add(FrameCodec.decode(data.duplicate(), new Settings(262144, 256, 16 << 20, 16 << 20)));
            return CompletableFuture.completedFuture(this);
        }

        @Override public CompletableFuture<WebSocket> sendText(CharSequence data, boolean last) { throw new UnsupportedOperationException(); }
        @Override public CompletableFuture<WebSocket> sendPing(ByteBuffer message) { return new CompletableFuture<>(); }
        @Override public CompletableFuture<WebSocket> sendPong(ByteBuffer message) { return CompletableFuture.completedFuture(this); }
        @Override public CompletableFuture<WebSocket> sendClose(int statusCode, String reason) { return CompletableFuture.completedFuture(this); }
        @Override public void request(long n) { }
        @Override public String getSubprotocol() { return "wstunnel.v2"; }
        @Override public boolean isOutputClosed() { return false; }
        @Override public boolean isInputClosed() { return false; }
        @Override public void abort() { }
    }

    static final class CountingHandler implements StreamHandler {
        final AtomicInteger resets = new AtomicInteger();

        @Override public void onData(ByteBuffer payload, boolean endStream) { }
        @Override public void onWindowUpdate() { }
        @Override public void onReset(ErrorCode code, String reason) { resets.incrementAndGet(); }
    }

    private static final class NoEvents implements TunnelSession.Events {
        @Override public void ready(TunnelSession s) { }
        @Override public void closed(TunnelSession s, boolean wasReady) { }
    }

    private TunnelSession openSession(StreamHandlerFactory factory) {
        AgentConfig config = AgentConfig.builder().tunnel(URI.create("ws://127.0.0.1:1")).token("0123456789abcdef0123")
                .protocol(AgentConfig.Protocol.V2).timeout(Duration.ofSeconds(30)).build();
        TunnelSession session = new TunnelSession(config, factory, scheduler, new NoEvents(), "test");
        session.listener().onOpen(ws);
        receive(session, FrameCodec.encode(new Frame.Hello(SERVER)));
        return session;
    }

    private void receive(TunnelSession session, ByteBuffer frame) {
        session.listener().onBinary(ws, frame, true);
    }

    private static ByteBuffer get(int id) {
        return FrameCodec.encode(new Frame.Open(id, StreamKind.HTTP, new RequestHead("GET", "/", "h", "http", Headers.EMPTY), true));
    }

    /** OPEN, END_STREAM, stream {@code id}, kind 9 (unknown); the rest is not interpreted. */
    private static ByteBuffer unknownKind(int id) {
        return ByteBuffer.allocate(7).put((byte) FrameType.OPEN.code()).put((byte) 1).putInt(id).put((byte) 9).flip();
    }

    /**
     * The session starts the local request before it attaches its handler. If the tunnel is lost in
     * between (keep-alive's dead-peer check, a writer failure, the shutdown grace: other threads), the
     * handler is still told, so the local request is aborted rather than left running.
     */
    @Test
    void tunnelLostWhileTheLocalRequestStartsStillAbortsIt() throws Exception {
        CountingHandler handler = new CountingHandler();
        CountDownLatch inFactory = new CountDownLatch(1);
        CountDownLatch lost = new CountDownLatch(1);
        TunnelSession session = openSession((head, endStream, stream) -> {
            inFactory.countDown();
            try {
                lost.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return handler;
        });
        Thread reader = new Thread(() -> receive(session, get(1)));
        reader.start();
        assertThat(inFactory.await(5, TimeUnit.SECONDS)).isTrue();
        session.abort("dead peer"); // what KeepAlive does, on the scheduler thread
        lost.countDown();
        reader.join(5000);
        assertThat(session.state()).isEqualTo(SessionState.CLOSED);
        assertThat(handler.resets).as("local request told to abort").hasValue(1);
    }

    /** PROTOCOL.md §3.2: an OPEN of an unknown kind resets its stream, and its id counts as used. */
    @Test
    void anUnknownKindIsResetAndItsIdCannotBeOpenedAgain() {
        AtomicInteger opened = new AtomicInteger();
        TunnelSession session = openSession((head, endStream, stream) -> {
            opened.incrementAndGet();
            return new CountingHandler();
        });
        receive(session, unknownKind(5));
        assertThat(ws.frames).anyMatch(f -> f instanceof Frame.Reset r && r.streamId() == 5 && r.code() == ErrorCode.PROTOCOL_ERROR);
        assertThat(session.state()).isEqualTo(SessionState.OPEN);

        receive(session, get(5));
        assertThat(opened).as("a request started on a used id").hasValue(0);
        assertThat(ws.frames).anyMatch(f -> f instanceof Frame.GoAway g && g.code() == ErrorCode.PROTOCOL_ERROR);
    }

    /** A malformed OPEN that names a stream already open does not touch that stream: the id rules make it a connection error. */
    @Test
    void aMalformedOpenCannotResetAnOpenStream() {
        CountingHandler first = new CountingHandler();
        TunnelSession session = openSession((head, endStream, stream) -> first);
        receive(session, get(3));
        assertThat(session.state()).isEqualTo(SessionState.OPEN);

        receive(session, unknownKind(3));
        assertThat(ws.frames).noneMatch(f -> f instanceof Frame.Reset r && r.streamId() == 3 && r.code() == ErrorCode.PROTOCOL_ERROR);
        assertThat(ws.frames).anyMatch(f -> f instanceof Frame.GoAway g && g.code() == ErrorCode.PROTOCOL_ERROR);
    }
}
