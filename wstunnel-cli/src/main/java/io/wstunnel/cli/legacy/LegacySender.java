package io.wstunnel.cli.legacy;

import static io.wstunnel.cli.legacy.LegacyAgentSession.log;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The socket's send side (LEGACY.md §2): each response is ONE binary message sent in fragments
 * ({@code sendBinary(part, false)} … {@code last=true}), and only one message is in transit, owned
 * by one exchange; the others wait whole, each buffering at most {@link #PER_EXCHANGE_BYTES} and
 * all of them together at most {@code -maxQueuedBytes}. A waiting response that is already
 * complete goes before one still streaming.
 *
 * <p>State guarded by the session's {@link LegacyAgentSession#lock} (no lock of its own); the
 * WebSocket and writable callbacks are called outside it.
 */
final class LegacySender {
    /** Response bytes one exchange may buffer before its local read stops. */
    static final int PER_EXCHANGE_BYTES = 256 * 1024;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final LegacyAgentSession session;
    private final Object lock;
    private final WebSocket ws;
    private final String server;
    private final long maxQueuedBytes;

    // guarded by lock
    private final ArrayDeque<LegacyExchange> ready = new ArrayDeque<>();
    private LegacyExchange owner;
    private long totalBuffered;
    private boolean sending;
    private boolean pumping;

    LegacySender(LegacyAgentSession session, WebSocket ws, String server, long maxQueuedBytes) {
        this.session = session;
        this.lock = session.lock;
        this.ws = ws;
        this.server = server;
        this.maxQueuedBytes = maxQueuedBytes;
    }

    /** What {@code x} may buffer now. Caller holds the lock. */
    int creditFor(LegacyExchange x) {
        if (session.closedLocked()) {
            return 0;
        }
        long room = PER_EXCHANGE_BYTES - x.buffered;
        if (x != owner) {
            room = Math.min(room, maxQueuedBytes - totalBuffered);
        }
        return (int) Math.max(0, room);
    }

    /** Caller holds the lock. */
    void bufferedChanged(LegacyExchange x, long delta) {
        totalBuffered += delta;
    }

    /** {@code x} has bytes to send. Caller holds the lock. */
    void readyLocked(LegacyExchange x) {
        if (x != owner && !ready.contains(x)) {
            ready.add(x);
        }
    }

    /** Sends the next fragment if the socket is free; loops while sends complete at once. */
    void pump() {
        synchronized (lock) {
            if (pumping) {
                return;
            }
            pumping = true;
        }
        while (true) {
            ByteBuffer b;
            boolean last;
            LegacyExchange x;
            boolean resume = false;
            synchronized (lock) {
                if (session.closedLocked() || sending) {
                    pumping = false;
                    return;
                }
                if (owner == null) {
                    owner = pickLocked();
                }
                x = owner;
                if (x == null) {
                    pumping = false;
                    return;
                }
                if (!x.out.isEmpty()) {
                    b = x.out.poll();
                    last = x.ended && x.out.isEmpty();
                    x.buffered -= b.remaining();
                    totalBuffered -= b.remaining();
                } else if (x.ended) {
                    b = EMPTY.duplicate();
                    last = true;
                } else {
                    pumping = false;
                    return; // the owner's next bytes are not there yet
                }
                x.startedSending = true;
                sending = true;
                if (last) {
                    owner = null;
                    resume = session.finishLocked(x);
                }
            }
            if (resume) {
                ws.request(1);
            }
            CompletableFuture<WebSocket> cf;
            try {
                cf = ws.sendBinary(b, last);
            } catch (RuntimeException e) {
                cf = CompletableFuture.failedFuture(e);
            }
            cf.whenComplete((w, e) -> sent(e));
        }
    }

    /** A ready exchange whose message is complete goes first (it cannot hold the socket long), else the oldest. */
    private LegacyExchange pickLocked() {
        for (Iterator<LegacyExchange> it = ready.iterator(); it.hasNext();) {
            LegacyExchange x = it.next();
            if (x.ended) {
                it.remove();
                return x;
            }
        }
        return ready.poll();
    }

    /** Drops what {@code x} still had to send (it is over). Caller holds the lock. */
    void forgetLocked(LegacyExchange x) {
        ready.remove(x);
        totalBuffered -= x.buffered;
        x.buffered = 0;
        x.out.clear();
    }

    /** The session is over. Caller holds the lock. */
    void clearLocked() {
        ready.clear();
        owner = null;
    }

    private void sent(Throwable error) {
        if (error != null) {
            log.info("Sending to the legacy server {} failed: {}", server, error.toString());
            session.drop("send failed: " + error);
            return;
        }
        List<Runnable> wake = new ArrayList<>();
        synchronized (lock) {
            sending = false;
            for (LegacyExchange x : session.activeLocked()) {
                if (x.writable != null && creditFor(x) > 0) {
                    wake.add(x.writable);
                    x.writable = null;
                }
            }
        }
        for (Runnable r : wake) {
            r.run();
        }
        pump();
    }
}
