package io.wstunnel.protocol;

/**
 * The receiving side of one direction of one stream: checks DATA against the credit granted and
 * decides the credit to grant back (PROTOCOL.md §3.6 and §3.6.1).
 *
 * <p>Auto-tuning: the window starts at our INITIAL_WINDOW and doubles, up to {@code max} and only
 * with bytes taken from the tunnel's {@link WindowBudget}, whenever the reader has passed on half of
 * the current window in less than two round trips of the tunnel socket. A stream moving that fast is
 * held back by its window (at most one window per round trip can be in flight), not by its reader or
 * its writer; a slower stream keeps its window, so the window settles near what the stream's real
 * rate needs and a slow or stuck reader never grows its buffer. The window never shrinks;
 * {@link #release()} gives the growth back when the stream ends. Without a round-trip measurement
 * (no ping answered yet) nothing grows.
 *
 * <p>Invariant: {@code senderCredit + buffered == window} as long as the reader reports no more
 * than it received. Not thread-safe: the stream's owner serialises calls.
 */
public final class ReceiveWindow {
    private final int initial;
    private final int max;
    private final WindowBudget budget;
    private final FlowWindow senderCredit;
    private int window;
    private long buffered;
    private long passedSinceCheck;
    private long checkStartNanos = -1;
    private boolean released;

    /**
     * @param initial our INITIAL_WINDOW (what the sender starts with)
     * @param max     largest window this stream may grow to; {@code <= initial} disables growth
     * @param budget  the tunnel's shared allowance for growth
     */
    public ReceiveWindow(int initial, int max, WindowBudget budget) {
        this.initial = initial;
        this.max = Math.max(initial, max);
        this.budget = budget;
        this.senderCredit = new FlowWindow(initial);
        this.window = initial;
    }

    /** Current window: the most this stream can have buffered here. */
    public int window() {
        return window;
    }

    /**
     * A DATA payload (or a REPLY body) of {@code n} bytes arrived.
     *
     * @throws ProtocolException FLOW_CONTROL_ERROR if it exceeds the credit granted
     */
    public void receive(int streamId, int n) {
        senderCredit.receive(streamId, n);
        buffered += n;
    }

    /**
     * The reader passed {@code n} bytes on.
     *
     * @param now the current {@link System#nanoTime()}
     * @param rtt the tunnel socket's smoothed round-trip time in nanoseconds, 0 if unknown
     * @return the WINDOW_UPDATE increment to send now: {@code n}, plus the growth when the window grows
     *         (0 for {@code n <= 0})
     */
    public int consumed(int streamId, int n, long now, long rtt) {
        if (n <= 0) {
            return 0;
        }
        buffered = Math.max(0, buffered - n);
        int grow = 0;
        if (checkStartNanos < 0) {
            checkStartNanos = now; // the first report starts the first period
        } else {
            passedSinceCheck += n;
            if (passedSinceCheck >= window / 2) {
                if (rtt > 0 && now - checkStartNanos < 2 * rtt && !released && window < max) {
                    grow = budget.take((int) Math.min(window, (long) max - window));
                    window += grow;
                }
                passedSinceCheck = 0;
                checkStartNanos = now;
            }
        }
        senderCredit.credit(streamId, n + grow);
        return n + grow;
    }

    /** The stream ended: its growth goes back to the tunnel's budget. Idempotent. */
    public void release() {
        if (!released) {
            released = true;
            budget.give(window - initial);
        }
    }
}
