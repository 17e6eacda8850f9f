package io.wstunnel.srv.limits;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.Protocols;
import io.wstunnel.protocol.HttpTokens;
import io.wstunnel.srv.admin.ServerEvents;
import io.wstunnel.srv.http.HeadGuard;
import io.wstunnel.srv.http.PlainText;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of every request on the main listener, before routing: connections per client
 * address, HTTP version (505), CONNECT (501), head size (431), target length (414) and message
 * framing (400). What Undertow's parser already refuses (bare LF, NUL and other control bytes,
 * invalid header names, Content-Length with Transfer-Encoding, duplicate Content-Length) never
 * reaches this handler; the framing checks here repeat those rules anyway, so a change of parser
 * cannot silently let them through.
 */
public final class CallerGate implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(CallerGate.class);
    private static final AttachmentKey<String> COUNTED = AttachmentKey.create(String.class);

    private final Limits limits;
    private final ServerEvents events;
    private final HttpHandler next;
    private final ConcurrentHashMap<String, Integer> connections = new ConcurrentHashMap<>();
    private final java.util.function.Predicate<java.net.InetAddress> trustedProxy;
    private final HeadGuard.Registry guards;

    public CallerGate(Limits limits, ServerEvents events, HttpHandler next) {
        this(limits, events, next, a -> false);
    }

    /**
     * @param trustedProxy peers whose connections are not counted per address (-trusted-proxies):
     *                     every caller behind a reverse proxy arrives on its connections, and the
     *                     proxy limits its own clients
     */
    public CallerGate(Limits limits, ServerEvents events, HttpHandler next,
                      java.util.function.Predicate<java.net.InetAddress> trustedProxy) {
        this(limits, events, next, trustedProxy, null);
    }

    /** @param guards the listener's head guards (obs-fold), or null when the listener has none */
    public CallerGate(Limits limits, ServerEvents events, HttpHandler next,
                      java.util.function.Predicate<java.net.InetAddress> trustedProxy, HeadGuard.Registry guards) {
        this.limits = limits;
        this.events = events == null ? ServerEvents.NONE : events;
        this.next = next;
        this.trustedProxy = trustedProxy;
        this.guards = guards;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        HeadGuard guard = guards == null ? null : guards.of(exchange);
        if (guard != null) {
            exchange.addExchangeCompleteListener(guard); // re-arms it for the next head on this connection
            if (guard.takeFolded()) {
                refuse(exchange, 400, "obs_fold", "Obsolete line folding is not accepted: a header line starts with"
                        + " white space; send each header field on one line");
                return;
            }
        }
        if (!countConnection(exchange)) {
            refuse(exchange, 429, "too_many_connections", "Too many connections from your address (limit "
                    + limits.maxConnectionsPerAddress() + ")");
            return;
        }
        if (guard != null && guard.takeOtherMajorVersion()) {
            // Undertow's parser takes an unknown HTTP/<d>.<d> for HTTP/1.1; only the raw head shows it (as Go: 505).
            refuse(exchange, 505, "http_version", "HTTP version not supported (HTTP/1.0 and HTTP/1.1 only)");
            return;
        }
        if (exchange.getRequestMethod().equals(io.undertow.util.Methods.CONNECT)) {
            // Nothing here can become a proxy tunnel; forwarded, the agent's 2xx made Undertow end the
            // exchange without writing anything. Closed after: the client may already send tunnel bytes.
            refuse(exchange, 501, "connect", "CONNECT is not supported: this server tunnels HTTP requests by token,"
                    + " it is not a forward proxy");
            return;
        }
        int target = targetLength(exchange);
        if (target > limits.maxUriLength()) {
            refuse(exchange, 414, "uri_too_long", "Request URI too long (limit " + limits.maxUriLength() + " characters)");
            return;
        }
        if (headSize(exchange) > limits.maxHeaderBytes()) {
            refuse(exchange, 431, "header_too_large", "Request header fields too large (limit "
                    + limits.maxHeaderBytes() + " bytes)");
            return;
        }
        String framing = framingError(exchange);
        if (framing != null) {
            refuse(exchange, framing.startsWith("501 ") ? 501 : 400, "malformed_request", framing.substring(4));
            return;
        }
        if (exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING)) {
            // Our decoder, not Undertow's: a framing error must still be answerable with a 400.
            io.wstunnel.srv.http.StrictChunkedConduit.install(exchange, limits.maxHeaderBytes());
        }
        next.handleRequest(exchange);
    }

    /** Open connections from one address right now (tests, statistics). */
    public int connectionsFrom(String address) {
        return connections.getOrDefault(address, 0);
    }

    private void refuse(HttpServerExchange exchange, int status, String reason, String text) {
        String remote = PlainText.remote(exchange);
        log.debug("caller {} refused with {}: {}", remote, status, text);
        events.callerRefused(null, remote, status, reason);
        exchange.setPersistent(false); // the rest of this connection cannot be trusted to be framed right
        PlainText.send(exchange, status, text);
    }

    /** Counts the connection on its first request; @return false when its address has too many. */
    private boolean countConnection(HttpServerExchange exchange) {
        int max = limits.maxConnectionsPerAddress();
        if (max <= 0) {
            return true;
        }
        ServerConnection c = exchange.getConnection();
        String counted = c.getAttachment(COUNTED);
        if (counted != null) {
            return !counted.isEmpty();
        }
        java.net.InetSocketAddress peer = exchange.getSourceAddress();
        if (peer != null && peer.getAddress() != null && trustedProxy.test(peer.getAddress())) {
            c.putAttachment(COUNTED, "trusted proxy");
            return true;
        }
        String address = PlainText.remote(exchange);
        int n = connections.merge(address, 1, Integer::sum);
        c.addCloseListener(closed -> connections.computeIfPresent(address, (k, v) -> v <= 1 ? null : v - 1));
        boolean ok = n <= max;
        c.putAttachment(COUNTED, ok ? address : "");
        return ok;
    }

    private static int targetLength(HttpServerExchange exchange) {
        String q = exchange.getQueryString();
        return exchange.getRequestURI().length() + (q == null || q.isEmpty() ? 0 : q.length() + 1);
    }

    /** The head as it was on the wire, give or take optional white space. */
    private static long headSize(HttpServerExchange exchange) {
        long n = exchange.getRequestMethod().length() + 1 + targetLength(exchange) + 1
                + exchange.getProtocol().length() + 2;
        for (HeaderValues h : exchange.getRequestHeaders()) {
            int name = h.getHeaderName().length();
            for (String v : h) {
                n += name + 2 + v.length() + 2;
            }
        }
        return n + 2;
    }

    /** @return "400 reason" / "501 reason" for a request whose body framing is ambiguous, else null */
    static String framingError(HttpServerExchange exchange) {
        io.undertow.util.HeaderMap h = exchange.getRequestHeaders();
        HeaderValues te = h.get(Headers.TRANSFER_ENCODING);
        HeaderValues cl = h.get(Headers.CONTENT_LENGTH);
        for (HeaderValues values : h) {
            if (!HttpTokens.isToken(values.getHeaderName().toString())) {
                return "400 Invalid header field name";
            }
            for (String v : values) {
                for (int i = 0; i < v.length(); i++) {
                    char ch = v.charAt(i);
                    if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
                        return "400 Control character in header field " + values.getHeaderName();
                    }
                }
            }
        }
        if (cl != null) {
            if (cl.size() > 1) {
                return "400 More than one Content-Length";
            }
            String v = cl.getFirst();
            if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return "400 Invalid Content-Length";
            }
        }
        if (te != null) {
            if (cl != null) {
                return "400 Both Content-Length and Transfer-Encoding";
            }
            if (!exchange.getProtocol().equals(Protocols.HTTP_1_1)) {
                return "400 Transfer-Encoding in an HTTP/1.0 request";
            }
            String last = null;
            int chunked = 0;
            for (String v : te) {
                for (String coding : v.split(",", -1)) {
                    String c = coding.trim().toLowerCase(Locale.ROOT);
                    if (c.isEmpty()) {
                        return "400 Empty transfer coding";
                    }
                    if (c.equals("chunked")) {
                        chunked++;
                    }
                    last = c;
                }
            }
            if (chunked != 1 || !"chunked".equals(last)) {
                return "400 Transfer-Encoding must be chunked, once and last";
            }
            if (te.size() > 1 || te.getFirst().contains(",")) {
                return "501 Transfer codings other than chunked are not supported";
            }
        }
        return null;
    }

}
