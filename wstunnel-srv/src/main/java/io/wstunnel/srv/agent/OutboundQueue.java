package io.wstunnel.srv.agent;

import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.srv.limits.Limits;
import io.wstunnel.srv.ws.OutboundMeter;
import io.wstunnel.srv.ws.RawWebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The outbound side of a {@link V2Session}: frames queued on the socket, and the tasks waiting for
 * the socket's queue to drop under the soft cap (backpressure for callers' bodies). New streams have
 * a higher threshold, {@link #openLimit}. The bytes are counted by the socket itself
 * ({@link RawWebSocket#queuedBytes}, every frame at its cost, pings and pongs included), which also
 * enforces the {@link #hardLimit}.
 *
 * <p>It holds no session state and never takes the session's monitor, so it may be used with or
 * without that monitor held. The waiter list has a lock of its own, a leaf lock that is never held
 * while anything else is called (waiters run after it is released).
 */
final class OutboundQueue {
    /** Largest DATA payload this server sends, whatever the agent accepts: it bounds {@link #hardLimit}. */
    static final int MAX_DATA_PAYLOAD = 64 * 1024;
    /** Pings and pongs of a well-behaved agent, HELLO, GOAWAYs and the close frame: over 1,000 frames. */
    static final int CONTROL_ALLOWANCE = 256 * 1024;

    private final RawWebSocket socket;
    private final int softCap;
    private final long openLimit;
    private final List<Runnable> writableWaiters = new ArrayList<>();

    /** @param softCap bytes over which callers' bodies wait; call before the socket starts */
    OutboundQueue(RawWebSocket socket, int softCap, Limits limits) {
        this.socket = socket;
        this.softCap = softCap;
        this.openLimit = openLimit(softCap, limits);
        socket.afterEachWrite(this::released);
    }

    /**
     * Bytes over which no new stream opens: the soft cap plus one DATA frame per stream, as far as
     * bodies alone can take the queue. A busy agent that reads meets it only far behind; it keeps the
     * OPENs (and the RESETs of their streams) of callers that come and go faster than the agent reads
     * from adding up without bound.
     */
    static long openLimit(int softCap, Limits limits) {
        return softCap + limits.maxStreamsPerAgent() * OutboundMeter.cost(FrameCodec.HEADER_SIZE + MAX_DATA_PAYLOAD);
    }

    /**
     * The most a socket's queue may hold before the agent counts as not reading and its socket is
     * aborted. A well-behaved agent never reaches it, however busy:
     * <ul>
     * <li>Everything that grows with the traffic waits: a stream's DATA for {@link #writable} (under
     *     the soft cap; OwnedCallerStream.agentRoom, checked before each frame), new streams' OPENs
     *     for {@link #openable} (V2Session.tryOpen, checked and sent under the session's monitor).
     *     Check and send are not atomic for DATA, so each stream may add one frame of up to
     *     {@link #MAX_DATA_PAYLOAD} after the queue passed the soft cap: bodies alone stay under the
     *     {@link #openLimit}. One OPEN may pass that (a head CallerGate let through: at most
     *     -max-header-bytes, its Host repeated as authority, well under Undertow's header backstop of
     *     four times that); then no new stream starts until the queue is back under the soft cap.</li>
     * <li>Per stream, once: an empty DATA with END_STREAM and a RESET (a reason is cut to 1 KiB):
     *     two control frames at most.</li>
     * <li>WINDOW_UPDATEs: credit the agent has not read yet. It sends only within credit it has read,
     *     so unread credit is at most the streams' windows (INITIAL_WINDOW each plus the socket's
     *     growth budget), and each update is at least half an INITIAL_WINDOW (the caller's batching).</li>
     * <li>{@link #CONTROL_ALLOWANCE}: HELLO, GOAWAYs, the close frame, keep-alive pings and the pongs
     *     for the agent's pings.</li>
     * </ul>
     * Everything else the server sends answers the agent's own frames without progress (RESETs for
     * its OPENs, pongs beyond keep-alive): bounded only by the flood budget's rate, and by this limit.
     */
    static long hardLimit(int softCap, Limits limits, int initialWindow) {
        long streams = limits.maxStreamsPerAgent();
        long control = OutboundMeter.cost(FrameCodec.HEADER_SIZE + FrameCodec.MAX_CONTROL_PAYLOAD);
        long open = OutboundMeter.cost(FrameCodec.HEADER_SIZE + limits.parserHeaderBackstop() + FrameCodec.MAX_CONTROL_PAYLOAD);
        long ackThreshold = Math.max(1, initialWindow / 2);
        long unreadUpdates = (streams * initialWindow + limits.agentWindowBudget()) / ackThreshold + streams;
        long windowUpdates = unreadUpdates * OutboundMeter.cost(FrameCodec.HEADER_SIZE + 4);
        return openLimit(softCap, limits) + open + streams * 2 * control + windowUpdates + CONTROL_ALLOWANCE;
    }

    /** Queues a frame; {@code onWritten} runs (IO thread) once the frame is on the socket. */
    void send(ByteBuffer frame, Runnable onWritten) {
        socket.send(frame, onWritten);
    }

    /** True while the socket's queue is under the soft cap: a stream may queue one more DATA frame. */
    boolean writable() {
        return socket.queuedBytes() < softCap;
    }

    /** True while the socket's queue is under the {@link #openLimit}: a new stream may queue its OPEN. */
    boolean openable() {
        return socket.queuedBytes() < openLimit;
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

    /** A frame left the socket's queue (IO thread). */
    private void released() {
        if (writable()) {
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
