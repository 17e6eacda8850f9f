package io.wstunnel.protocol;

/**
 * Credit accounting for one direction of one stream. Not thread-safe: its owner (the stream's
 * lock or thread) serialises calls.
 *
 * <p>Invariant: {@code 0 <= available() <= Integer.MAX_VALUE}.
 */
public final class FlowWindow {
    private long available;

    public FlowWindow(int initial) {
        if (initial < 0) {
            throw new IllegalArgumentException("negative window");
        }
        this.available = initial;
    }

    public int available() {
        return (int) available;
    }

    /** Sender side: takes {@code n} bytes of credit; the caller checked {@link #available()}. */
    public void consume(int n) {
        if (n < 0 || n > available) {
            throw new IllegalStateException("consume " + n + " with " + available + " available");
        }
        available -= n;
    }

    /**
     * Receiver side: a DATA frame of {@code n} bytes arrived.
     *
     * @throws ProtocolException FLOW_CONTROL_ERROR if the peer sent more than it was allowed
     */
    public void receive(int streamId, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative DATA length " + n);
        }
        if (n > available) {
            throw ProtocolException.connection(ErrorCode.FLOW_CONTROL_ERROR,
                    "stream " + streamId + " received " + n + " bytes with a window of " + available);
        }
        available -= n;
    }

    /**
     * Adds credit (a WINDOW_UPDATE sent or received).
     *
     * @throws ProtocolException FLOW_CONTROL_ERROR if the window would pass 2^31-1
     */
    public void credit(int streamId, int increment) {
        if (increment <= 0 || available + increment > Integer.MAX_VALUE) {
            throw ProtocolException.connection(ErrorCode.FLOW_CONTROL_ERROR,
                    "stream " + streamId + " window overflow: " + available + " + " + increment);
        }
        available += increment;
    }
}
