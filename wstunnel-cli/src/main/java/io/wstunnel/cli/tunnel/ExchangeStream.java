package io.wstunnel.cli.tunnel;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.ResponseHead;
import java.nio.ByteBuffer;

/**
 * The tunnel side of one HTTP exchange as the local side ({@code cli.local}) sees it. Implemented by
 * {@link TunnelStream} (wstunnel.v2) and by the legacy session's per-request adapter, so both
 * framings share one local forwarder. Semantics are those of {@link TunnelStream}'s methods.
 */
public interface ExchangeStream {
    int id();

    boolean isClosed();

    /** @return whether {@code head} can be sent at all */
    boolean fits(ResponseHead head);

    /** Sends the response head; {@code endStream}: no body follows. */
    void reply(ResponseHead head, boolean endStream);

    /**
     * Sends the head and the first body bytes in one frame if the peer takes that and they fit its
     * limits and window; {@code endStream}: the body ends with {@code body}.
     *
     * @return false (nothing sent) when the caller must use {@link #reply} and {@link #data} instead
     */
    default boolean replyWithBody(ResponseHead head, ByteBuffer body, boolean endStream) {
        return false;
    }

    /** Bytes of body that may be passed to {@link #data} now (0: wait for a window update or {@link #whenWritable}). */
    int sendCredit();

    /** True when {@link #sendCredit()} is 0 because of the peer's window (wait for a window update). */
    boolean windowExhausted();

    /** Body bytes, at most {@link #sendCredit()}. */
    void data(ByteBuffer chunk, boolean endStream);

    /** {@code n} request body bytes were passed to the local service. */
    void consumed(int n);

    /** Aborts the exchange from the agent's side. */
    void reset(ErrorCode code, String reason);

    /** Runs {@code r} once there is room to send again. */
    void whenWritable(Runnable r);
}
