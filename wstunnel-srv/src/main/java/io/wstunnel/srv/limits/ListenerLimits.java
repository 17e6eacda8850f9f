package io.wstunnel.srv.limits;

import io.undertow.UndertowOptions;
import io.wstunnel.srv.ServerConfig;
import org.xnio.OptionMap;
import org.xnio.Options;

/**
 * The Undertow/XNIO options that enforce {@link Limits} below the handlers.
 *
 * <ul>
 *   <li>{@code MAX_HEADER_SIZE}: a backstop above the configured head limit, so that heads between the
 *       two get a 431 with a reason from {@link CallerGate} and larger ones are cut by the parser (bare
 *       400, connection closed) before they can be buffered.</li>
 *   <li>{@code REQUEST_PARSE_TIMEOUT}: the whole head must arrive in time (slowloris on headers).</li>
 *   <li>{@code NO_REQUEST_TIMEOUT}: a connection without a request in progress is closed when idle.</li>
 *   <li>XNIO {@code READ_TIMEOUT}: only armed while the server wants bytes from the peer (head, body,
 *       agent frames); a response streamed to a slow reader is never cut by it. Agent sockets share the
 *       listener, so it is never shorter than the agent keep-alive timeout (agents are pinged every third
 *       of it and must answer).</li>
 *   <li>Undertow's {@code IDLE_TIMEOUT} is deliberately NOT set: besides reads it arms a write timeout,
 *       which would cut a long response to a reader that stalls for longer than it.</li>
 *   <li>{@code ALLOW_UNESCAPED_CHARACTERS_IN_URL} stays false: raw non-ASCII bytes in the request line
 *       are refused by the parser with 400 (the Go server forwarded them).</li>
 * </ul>
 */
public final class ListenerLimits {
    private ListenerLimits() {
    }

    /** Adds the limits to the listener's Undertow options and socket options. */
    public static void apply(OptionMap.Builder server, OptionMap.Builder socket, ServerConfig config) {
        Limits l = config.limits();
        server.set(UndertowOptions.MAX_HEADER_SIZE, l.parserHeaderBackstop());
        server.set(UndertowOptions.REQUEST_PARSE_TIMEOUT, millis(l.requestParseTimeout().toMillis()));
        server.set(UndertowOptions.NO_REQUEST_TIMEOUT, millis(l.idleTimeout().toMillis()));
        server.set(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, false);
        socket.set(Options.READ_TIMEOUT, millis(effectiveReadTimeoutMillis(config)));
    }

    /** The read timeout actually applied: never below the agent keep-alive timeout plus a margin. */
    public static long effectiveReadTimeoutMillis(ServerConfig config) {
        return Math.max(config.limits().readTimeout().toMillis(), config.wsTimeout().toMillis() + 2000);
    }

    private static int millis(long ms) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, ms));
    }
}
