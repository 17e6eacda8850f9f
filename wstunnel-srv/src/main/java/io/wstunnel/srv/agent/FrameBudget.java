package io.wstunnel.srv.agent;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.ProtocolException;
import io.wstunnel.srv.limits.TokenBucket;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * The flood budget of one agent socket: frames that make the server work without moving a live
 * stream forward are charged to a token bucket ({@code -agent-frame-rate} per second, burst ten
 * seconds' worth); the first frame over it fails the connection with POLICY_VIOLATION ("frame
 * flood"), and every later one is dropped unread.
 *
 * <p>It holds no session state and never takes the session's monitor: the classification is pure,
 * the bucket synchronizes itself and the flooded flag is volatile. Frames are charged on the
 * socket's IO thread.
 */
final class FrameBudget {
    /** Smallest credit a well-behaved receiver sends (PROTOCOL.md §3.6: it batches small credits). */
    static final int MIN_UNCHARGED_CREDIT = 4096;

    private final int perSecond;
    private final TokenBucket frames;
    private final Consumer<ProtocolException> onFlood;
    private volatile boolean flooded;

    /** @param onFlood fails the connection; called once, for the first frame over the budget */
    FrameBudget(int perSecond, Consumer<ProtocolException> onFlood) {
        this.perSecond = perSecond;
        this.frames = new TokenBucket(perSecond, 10.0 * perSecond);
        this.onFlood = onFlood;
    }

    /**
     * True for frames that make the server work without moving a live stream forward: anything for an
     * unknown or finished stream, tiny credits, and empty DATA without END_STREAM (it moves no byte and
     * ends nothing, yet is handed to the caller). REPLY, DATA with bytes or END_STREAM, RESET and
     * sizeable WINDOW_UPDATEs on live streams are bounded by the streams this server opened and the
     * bytes it sent, so they are never charged: a busy agent must not look like a flood.
     *
     * @param live whether a stream id names a live stream of the session
     */
    static boolean costsWithoutProgress(Frame f, IntPredicate live) {
        if (f.streamId() == 0) {
            return !(f instanceof Frame.Hello);
        }
        if (f instanceof Frame.Open) {
            return true; // the server never accepts an agent's stream
        }
        if (!live.test(f.streamId())) {
            return true;
        }
        if (f instanceof Frame.Data d) {
            return d.length() == 0 && !d.endStream();
        }
        return f instanceof Frame.WindowUpdate w && w.increment() < MIN_UNCHARGED_CREDIT;
    }

    /** Counts a frame that costs the server work without moving body bytes; false once over budget. */
    boolean charge() {
        if (flooded) {
            return false; // already closing: drop the rest unread
        }
        if (frames.tryAcquire() == 0) {
            return true;
        }
        flooded = true;
        onFlood.accept(ProtocolException.connection(ErrorCode.POLICY_VIOLATION, "frame flood: more than "
                + perSecond + " control frames per second"));
        return false;
    }
}
