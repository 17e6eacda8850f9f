package io.wstunnel.cli.tunnel;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The single writer of one tunnel WebSocket (OkHttp RealWebSocket style).
 *
 * <p>Invariants (guarded by {@code this}): at most one {@code sendBinary} is in flight
 * ({@code sending}); {@code queuedBytes} counts queued plus in-flight bytes; DATA producers only
 * enqueue while {@link #hasRoom()}, so the queue exceeds {@code cap} by at most one frame per racing
 * producer, and they park a wake-up with {@link #whenWritable} which runs (on {@code callbacks},
 * never under this lock) once the queue has drained below half the cap. This lock is innermost:
 * nothing is called out while holding it.
 */
final class FrameWriter {
    private final WebSocket ws;
    private final long cap;
    private final Executor callbacks;
    private final Consumer<Throwable> onFailure;
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private final List<Runnable> waiters = new ArrayList<>();
    private long queuedBytes;
    private boolean sending;
    private boolean failed;
    private int closeCode = -1;
    private String closeReason;
    private boolean closeSent;

    FrameWriter(WebSocket ws, int cap, Executor callbacks, Consumer<Throwable> onFailure) {
        this.ws = ws;
        this.cap = Math.max(1, cap);
        this.callbacks = callbacks;
        this.onFailure = onFailure;
    }

    synchronized boolean hasRoom() {
        return !failed && closeCode < 0 && queuedBytes < cap;
    }

    synchronized long queuedBytes() {
        return queuedBytes;
    }

    void send(Frame frame) {
        enqueue(FrameCodec.encode(frame));
    }

    void enqueue(ByteBuffer encoded) {
        ByteBuffer first;
        synchronized (this) {
            if (failed || closeCode >= 0) {
                return;
            }
            queue.add(encoded);
            queuedBytes += encoded.remaining();
            if (sending) {
                return;
            }
            sending = true;
            first = queue.poll();
        }
        transmit(first);
    }

    /**
     * Runs {@code r} once the queue has room again (at once if it has room now). Once the writer has
     * failed or a Close is pending it never takes DATA again: {@code r} is dropped (running it would
     * only make its producer ask again, a busy loop), and the session's end resets every stream.
     */
    void whenWritable(Runnable r) {
        synchronized (this) {
            if (failed || closeCode >= 0) {
                return;
            }
            if (queuedBytes >= cap) {
                waiters.add(r);
                return;
            }
        }
        dispatch(r);
    }

    private void dispatch(Runnable r) {
        try {
            callbacks.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // agent stopping: nobody is waiting for room any more
        }
    }

    /** Sends a Close frame after everything already queued; later frames are dropped. */
    void closeAfterDrain(int code, String reason) {
        boolean now;
        synchronized (this) {
            if (failed || closeCode >= 0) {
                return;
            }
            closeCode = code;
            closeReason = reason;
            now = !sending;
            if (now) {
                closeSent = true;
            }
        }
        if (now) {
            sendClose();
        }
    }

    private void transmit(ByteBuffer buf) {
        while (buf != null) {
            int size = buf.remaining();
            CompletableFuture<WebSocket> cf;
            try {
                cf = ws.sendBinary(buf, true);
            } catch (RuntimeException e) {
                cf = CompletableFuture.failedFuture(e);
            }
            if (!cf.isDone()) {
                cf.whenComplete((w, err) -> transmit(sent(size, err)));
                return;
            }
            Throwable err = null;
            try {
                cf.join();
            } catch (RuntimeException e) {
                err = e;
            }
            buf = sent(size, err);
        }
    }

    /** Bookkeeping after one send completed; returns the next buffer to send, or null. */
    private ByteBuffer sent(int size, Throwable err) {
        ByteBuffer next;
        List<Runnable> wake = List.of();
        boolean close = false;
        synchronized (this) {
            queuedBytes -= size;
            if (err != null && !failed) {
                failed = true;
                queue.clear();
                queuedBytes = 0;
            }
            next = failed ? null : queue.poll();
            if (next == null) {
                sending = false;
                if (closeCode >= 0 && !closeSent && !failed) {
                    closeSent = true;
                    close = true;
                }
            }
            if (!waiters.isEmpty() && (failed || queuedBytes < cap / 2)) {
                wake = new ArrayList<>(waiters);
                waiters.clear();
            }
        }
        if (err != null) {
            // never inline: a send can fail on a thread holding the session's lock, and the failure
            // handler ends the session, which resets streams and calls their handlers
            Throwable e = err;
            dispatch(() -> onFailure.accept(e));
        }
        for (Runnable r : wake) {
            dispatch(r);
        }
        if (close) {
            sendClose();
        }
        return next;
    }

    private void sendClose() {
        int code = closeCode;
        String reason = closeReason == null ? "" : closeReason;
        if (!sendableByJdkClient(code)) {
            // The JDK client refuses to send 1002/1003/1009 (and other codes reserved to servers):
            // use 1008, RFC 6455's generic fallback "when there is no other more suitable code",
            // and keep the precise code at the start of the reason. The GOAWAY sent before carries the error code.
            reason = code + " " + reason;
            code = 1008;
        }
        if (reason.length() > 120) {
            reason = reason.substring(0, 120);
        }
        try {
            ws.sendClose(code, reason).whenComplete((w, e) -> {
                if (e != null) {
                    ws.abort();
                }
            });
        } catch (RuntimeException e) {
            ws.abort();
        }
    }

    /** Mirrors jdk.internal.net.http.websocket.StatusCodes#isLegalToSendFromClient. */
    static boolean sendableByJdkClient(int code) {
        return code == 1000 || code == 1001 || code == 1008 || code == 1011 || (code >= 3000 && code <= 4999);
    }
}
