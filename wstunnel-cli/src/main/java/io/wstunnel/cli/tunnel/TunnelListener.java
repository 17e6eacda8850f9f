package io.wstunnel.cli.tunnel;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * Adapts the JDK WebSocket callbacks (sequential, one message possibly split over several
 * {@code onBinary} calls) to whole messages for the {@link TunnelReceiver}, life-cycle events for the
 * {@link TunnelSession} and liveness for its {@link KeepAlive}. Requests one message part
 * at a time: memory per tunnel is bounded by the part being processed plus one assembled frame
 * (at most {@code maxMessage} bytes); per-stream body buffering is bounded by flow control.
 */
final class TunnelListener implements WebSocket.Listener {
    private final TunnelSession session;
    private final TunnelReceiver receiver;
    private final KeepAlive keepAlive;
    private final int maxMessage;
    private ByteBuffer partial;   // assembly of a fragmented binary message, or null
    private boolean oversized;    // the current message passed maxMessage: drop its remaining parts

    TunnelListener(TunnelSession session, TunnelReceiver receiver, KeepAlive keepAlive, int maxMessage) {
        this.session = session;
        this.receiver = receiver;
        this.keepAlive = keepAlive;
        this.maxMessage = maxMessage;
    }

    @Override
    public void onOpen(WebSocket ws) {
        session.opened(ws);
        ws.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        keepAlive.touch();
        if (!oversized) {
            long total = (partial == null ? 0 : partial.position()) + (long) data.remaining();
            if (total > maxMessage) {
                oversized = true;
                partial = null;
                receiver.messageTooBig(total);
            } else if (partial == null && last) {
                receiver.received(copy(data));
            } else {
                append(data);
                if (last) {
                    ByteBuffer whole = partial.flip();
                    partial = null;
                    receiver.received(whole);
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
        keepAlive.touch();
        if (last) {
            receiver.textReceived();
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
        // The JDK answers pings with pongs by itself.
        keepAlive.touch();
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
        keepAlive.pong();
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
