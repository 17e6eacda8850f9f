package io.wstunnel.cli.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FrameWriterTest {

    /** A WebSocket whose sends complete only when the test says so; fails on a second send in flight. */
    static final class ManualSocket implements WebSocket {
        final List<CompletableFuture<WebSocket>> inFlight = new ArrayList<>();
        final List<Integer> sizes = new ArrayList<>();
        final AtomicInteger overlapping = new AtomicInteger();
        int closeCode = -1;
        String closeReason;

        @Override
        public synchronized CompletableFuture<WebSocket> sendBinary(ByteBuffer data, boolean last) {
            if (inFlight.stream().anyMatch(f -> !f.isDone())) {
                overlapping.incrementAndGet();
            }
            sizes.add(data.remaining());
            CompletableFuture<WebSocket> f = new CompletableFuture<>();
            inFlight.add(f);
            return f;
        }

        void completeNext() {
            CompletableFuture<WebSocket> f;
            synchronized (this) {
                f = inFlight.stream().filter(x -> !x.isDone()).findFirst().orElseThrow();
            }
            f.complete(this);
        }

        @Override public CompletableFuture<WebSocket> sendText(CharSequence data, boolean last) { throw new UnsupportedOperationException(); }
        @Override public CompletableFuture<WebSocket> sendPing(ByteBuffer message) { return CompletableFuture.completedFuture(this); }
        @Override public CompletableFuture<WebSocket> sendPong(ByteBuffer message) { return CompletableFuture.completedFuture(this); }
        @Override public CompletableFuture<WebSocket> sendClose(int statusCode, String reason) {
            closeCode = statusCode;
            closeReason = reason;
            return CompletableFuture.completedFuture(this);
        }
        @Override public void request(long n) { }
        @Override public String getSubprotocol() { return ""; }
        @Override public boolean isOutputClosed() { return false; }
        @Override public boolean isInputClosed() { return false; }
        @Override public void abort() { }
    }

    @Test
    void oneSendInFlightAndCapStopsProducersUntilDrained() {
        ManualSocket ws = new ManualSocket();
        FrameWriter w = new FrameWriter(ws, 1000, Runnable::run, e -> { });
        AtomicInteger woken = new AtomicInteger();
        w.enqueue(ByteBuffer.allocate(600));
        w.enqueue(ByteBuffer.allocate(600));
        assertThat(ws.sizes).hasSize(1);
        assertThat(w.hasRoom()).isFalse();
        assertThat(w.queuedBytes()).isEqualTo(1200);
        w.whenWritable(woken::incrementAndGet);
        assertThat(woken).hasValue(0);
        ws.completeNext(); // 600 left: above half the cap
        assertThat(ws.sizes).hasSize(2);
        assertThat(woken).hasValue(0);
        assertThat(w.hasRoom()).isTrue();
        ws.completeNext(); // drained
        assertThat(woken).hasValue(1);
        assertThat(ws.overlapping).hasValue(0);
    }

    @Test
    void closeWaitsForQueuedFramesAndMapsCodesTheJdkRefuses() {
        ManualSocket ws = new ManualSocket();
        FrameWriter w = new FrameWriter(ws, 1000, Runnable::run, e -> { });
        w.enqueue(ByteBuffer.allocate(10));
        w.closeAfterDrain(1002, "bad frame");
        w.enqueue(ByteBuffer.allocate(10)); // dropped: closing
        assertThat(ws.closeCode).isEqualTo(-1);
        ws.completeNext();
        assertThat(ws.sizes).hasSize(1);
        assertThat(ws.closeCode).isEqualTo(1008);
        assertThat(ws.closeReason).isEqualTo("1002 bad frame");
    }

    @Test
    void sendFailureDropsTheQueueAndReports() {
        ManualSocket ws = new ManualSocket();
        List<Throwable> failures = new ArrayList<>();
        FrameWriter w = new FrameWriter(ws, 1000, Runnable::run, failures::add);
        w.enqueue(ByteBuffer.allocate(10));
        w.enqueue(ByteBuffer.allocate(10));
        ws.inFlight.get(0).completeExceptionally(new java.io.IOException("broken pipe"));
        assertThat(failures).hasSize(1);
        assertThat(ws.sizes).hasSize(1);
        assertThat(w.hasRoom()).isFalse();
        assertThat(w.queuedBytes()).isZero();
    }

    /**
     * Once a Close is pending or a send failed the writer never takes DATA again: a producer waiting
     * for room is not woken (it would only find no room and ask again, a busy loop); the session's end
     * resets its stream instead.
     */
    @Test
    void producersAreNotWokenOnceTheWriterIsClosingOrFailed() {
        List<Runnable> dispatched = new ArrayList<>();
        ManualSocket closing = new ManualSocket();
        FrameWriter w = new FrameWriter(closing, 1000, dispatched::add, e -> { });
        w.closeAfterDrain(1002, "protocol error");
        assertThat(w.hasRoom()).isFalse();
        w.whenWritable(() -> { });
        assertThat(dispatched).as("wake-ups while closing").isEmpty();

        ManualSocket broken = new ManualSocket();
        List<Throwable> failures = new ArrayList<>();
        FrameWriter f = new FrameWriter(broken, 1000, dispatched::add, failures::add);
        f.enqueue(ByteBuffer.allocate(10));
        broken.inFlight.get(0).completeExceptionally(new java.io.IOException("reset by peer"));
        assertThat(failures).as("the failure is reported on the callback executor, not inline").isEmpty();
        assertThat(dispatched).hasSize(1);
        dispatched.remove(0).run();
        assertThat(failures).hasSize(1);
        assertThat(f.hasRoom()).isFalse();
        f.whenWritable(() -> { });
        assertThat(dispatched).as("wake-ups after a failed send").isEmpty();
    }

    @SuppressWarnings("unused")
    private static CompletionStage<?> unused() {
        return null;
    }
}
