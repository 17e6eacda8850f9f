package io.wstunnel.cli.tunnel;

import io.wstunnel.protocol.ErrorCode;
import java.nio.ByteBuffer;

/**
 * The local side of one stream, fed by the tunnel. Calls come from the tunnel's reader thread, in
 * frame order, never while a tunnel lock is held.
 */
public interface StreamHandler {

    /** Request body bytes (the buffer belongs to the handler from now on). */
    void onData(ByteBuffer payload, boolean endStream);

    /** The server granted more send window: pending response bytes may flow again. */
    void onWindowUpdate();

    /** The stream ended abnormally (RESET from the server, tunnel lost): abort local work. */
    void onReset(ErrorCode code, String reason);
}
