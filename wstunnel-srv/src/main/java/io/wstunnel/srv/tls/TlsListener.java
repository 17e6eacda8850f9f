package io.wstunnel.srv.tls;

import io.undertow.UndertowOptions;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Sequence;
import org.xnio.SslClientAuthMode;

/** The main listener's TLS options: TLS 1.2+, HTTP/2 via ALPN, optional client certificates. */
public final class TlsListener {
    private TlsListener() {
    }

    /** Adds the TLS options to the listener's Undertow and socket options. */
    public static void apply(OptionMap.Builder server, OptionMap.Builder socket, ServerTls tls) {
        socket.set(Options.SSL_ENABLED_PROTOCOLS, Sequence.of(ServerTls.PROTOCOLS));
        // HTTP/2 only on the TLS listener (ALPN); a plain listener would otherwise offer h2c upgrades.
        server.set(UndertowOptions.ENABLE_HTTP2, true);
        if (tls.settings().agentCertificates()) {
            // REQUESTED, not REQUIRED: callers without a certificate keep working; /_tunnel decides.
            socket.set(Options.SSL_CLIENT_AUTH_MODE, SslClientAuthMode.REQUESTED);
        }
    }
}
