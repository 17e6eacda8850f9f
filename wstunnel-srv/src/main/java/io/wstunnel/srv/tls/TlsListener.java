package io.wstunnel.srv.tls;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import org.xnio.Options;
import org.xnio.Sequence;
import org.xnio.SslClientAuthMode;

/** Adds the main listener to an Undertow builder: HTTP, or HTTPS (TLS 1.2+, HTTP/2 via ALPN) when TLS is configured. */
public final class TlsListener {
    private TlsListener() {
    }

    /** @param tls null for plain HTTP */
    public static void add(Undertow.Builder b, int port, String host, ServerTls tls) {
        if (tls == null) {
            b.addHttpListener(port, host);
            return;
        }
        b.addHttpsListener(port, host, tls.sslContext());
        b.setSocketOption(Options.SSL_ENABLED_PROTOCOLS, Sequence.of(ServerTls.PROTOCOLS));
        // HTTP/2 only on the TLS listener (ALPN); a plain listener would otherwise offer h2c upgrades.
        b.setServerOption(UndertowOptions.ENABLE_HTTP2, true);
        if (tls.settings().agentCertificates()) {
            // REQUESTED, not REQUIRED: callers without a certificate keep working; /_tunnel decides.
            b.setSocketOption(Options.SSL_CLIENT_AUTH_MODE, SslClientAuthMode.REQUESTED);
        }
    }
}
