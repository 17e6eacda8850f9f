package io.wstunnel.srv.agent;

import io.wstunnel.srv.ws.RawWebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbound side of a {@link V2Session}: frames queued on the socket, their bytes counted against
 * a cap, and the tasks waiting for the queue to drop under it (backpressure for callers' bodies).
 *
 * <p>It holds no session state and never takes the session's monitor, so it may be used with or
 * without that monitor held. The byte count is atomic; the waiter list has a lock of its own, a leaf
 * lock that is never held while anything else is called (waiters run after it is released).
 */
final class OutboundQueue {
    private final RawWebSocket socket;
    private final int maxQueuedBytes;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final List<Runnable> writableWaiters = new ArrayList<>();

    OutboundQueue(RawWebSocket socket, int maxQueuedBytes) {
        this.socket = socket;
        this.maxQueuedBytes = maxQueuedBytes;
    }

    /** Queues a frame; {@code onWritten} runs (IO thread) once the frame is on the socket. */
    void send(ByteBuffer frame, Runnable onWritten) {
        int n = frame.remaining();
        queuedBytes.addAndGet(n);
        socket.send(frame, () -> {
            released(n);
            if (onWritten != null) {
                onWritten.run();
            }
        });
    }

    boolean writable() {
        return queuedBytes.get() < maxQueuedBytes;
    }

    /** Runs {@code r} once the outbound queue is under its cap (possibly at once). */
    void whenWritable(Runnable r) {
        synchronized (writableWaiters) {
            writableWaiters.add(r);
        }
        if (writable()) {
            runWritableWaiters();
        }
    }

    private void released(int n) {
        if (queuedBytes.addAndGet(-n) < maxQueuedBytes) {
            runWritableWaiters();
        }
    }

    private void runWritableWaiters() {
        List<Runnable> ready;
        synchronized (writableWaiters) {
            if (writableWaiters.isEmpty()) {
                return;
            }
            ready = new ArrayList<>(writableWaiters);
            writableWaiters.clear();
        }
        ready.forEach(Runnable::run);
    }
}
