package io.wstunnel.cli.tunnel;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * Adapts the JDK WebSocket callbacks (sequential, one message possibly split over several
 * {@code onBinary} calls) to whole messages for {@link TunnelSession}. Requests one message part
 * at a time: memory per tunnel is bounded by the part being processed plus one assembled frame
 * (at most {@code maxMessage} bytes); per-stream body buffering is bounded by flow control.
 */
final class TunnelListener implements WebSocket.Listener {
    private final TunnelSession session;
    private final int maxMessage;
    private ByteBuffer partial;   // assembly of a fragmented binary message, or null
    private boolean oversized;    // the current message passed maxMessage: drop its remaining parts

    TunnelListener(TunnelSession session, int maxMessage) {
        this.session = session;
        this.maxMessage = maxMessage;
    }

    @Override
    public void onOpen(WebSocket ws) {
        session.opened(ws);
        ws.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        session.touch();
        if (!oversized) {
            long total = (partial == null ? 0 : partial.position()) + (long) data.remaining();
            if (total > maxMessage) {
                oversized = true;
                partial = null;
                session.messageTooBig(total);
            } else if (partial == null && last) {
                session.received(copy(data));
            } else {
                append(data);
                if (last) {
                    ByteBuffer whole = partial.flip();
                    partial = null;
                    session.received(whole);
                }
            }
        }
        if (last) {
            oversized = false;
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        session.touch();
        if (last) {
            session.textReceived();
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
        // The JDK answers pings with pongs by itself.
        session.touch();
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
        session.pong();
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        session.closedByPeer(statusCode, reason);
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        session.failed(error);
    }

    private static ByteBuffer copy(ByteBuffer data) {
        ByteBuffer b = ByteBuffer.allocate(data.remaining());
        b.put(data);
        return b.flip();
    }

    private void append(ByteBuffer data) {
        if (partial == null) {
            partial = ByteBuffer.allocate(Math.min(maxMessage, Math.max(8192, data.remaining() * 2)));
        } else if (partial.remaining() < data.remaining()) {
            int need = partial.position() + data.remaining();
            int size = (int) Math.min(maxMessage, Math.max(need, (long) partial.capacity() * 2));
            ByteBuffer bigger = ByteBuffer.allocate(size);
            bigger.put(partial.flip());
            partial = bigger;
        }
        partial.put(data);
    }
}
