package io.wstunnel.srv.tunnel;

import io.wstunnel.protocol.ErrorCode;
import java.nio.ByteBuffer;

/** The agent side of one open stream, as the caller bridge drives it. Thread-safe. */
public interface AgentStream {
    int id();

    /** Bytes of request body the agent will accept now (0 when the window is exhausted). */
    int sendCredit();

    /** Largest DATA payload the agent accepts. */
    int maxFramePayload();

    /** False while the agent socket's outbound queue is over its cap. */
    boolean socketWritable();

    /** Runs {@code r} (on some IO thread) once the agent socket has room again. */
    void whenSocketWritable(Runnable r);

    /**
     * Sends request body bytes (copied; at most {@link #sendCredit()} and {@link #maxFramePayload()}).
     * An empty buffer with {@code end} ends the request body.
     */
    void sendData(ByteBuffer data, boolean end);

    /** Gives the agent {@code bytes} more response credit: they have been written to the caller. */
    void consumed(int bytes);

    /** Aborts the stream (RESET); later frames for it are ignored. */
    void reset(ErrorCode code, String reason);
}
