package io.wstunnel.cli.legacy;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The listener a session dials with when legacy framing is possible: once the handshake is done it
 * hands every callback either to the wstunnel.v2 listener (the server selected a subprotocol) or to
 * the listener returned by {@code takeover} (the server selected none: a Go wstunnel server).
 */
public final class LegacySwitch implements WebSocket.Listener {
    private final WebSocket.Listener v2;
    private final Function<WebSocket, WebSocket.Listener> takeover;
    private volatile WebSocket.Listener delegate;

    /** @param takeover returns the legacy listener, or null when the session refused (it aborted the socket) */
    public LegacySwitch(WebSocket.Listener v2, Function<WebSocket, WebSocket.Listener> takeover) {
        this.v2 = v2;
        this.takeover = takeover;
    }

    /** True when the server selected no subprotocol. */
    public static boolean noSubprotocol(WebSocket ws) {
        String sub = ws.getSubprotocol();
        return sub == null || sub.isEmpty();
    }

    @Override
    public void onOpen(WebSocket ws) {
        WebSocket.Listener d = v2;
        if (noSubprotocol(ws)) {
            d = takeover.apply(ws);
            if (d == null) {
                d = new WebSocket.Listener() { };
                delegate = d;
                return;
            }
        }
        delegate = d;
        d.onOpen(ws);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        return delegate.onBinary(ws, data, last);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        return delegate.onText(ws, data, last);
    }

    @Override
    public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
        return delegate.onPing(ws, message);
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
        return delegate.onPong(ws, message);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        return delegate.onClose(ws, statusCode, reason);
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        WebSocket.Listener d = delegate;
        if (d != null) {
            d.onError(ws, error);
        } else {
            v2.onError(ws, error);
        }
    }
}
