package io.wstunnel.cli.net;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Why a tunnel dial failed, in one line for the agent's log: the useful messages of the cause
 * chain, without class names, repeats or stack traces.
 *
 * <p>The JDK 17 HTTP client drops the operating system's reason when a connect fails: the caller
 * gets a {@link ConnectException} without a message, caused by a {@code ClosedChannelException}
 * without one either. For that case only, {@link #probe} repeats the connect with a plain socket,
 * which does carry the reason ("Connection refused", "No route to host").
 */
public final class DialFailure {
    /** "java.net.ConnectException: " and the like inside messages. */
    private static final Pattern CLASS_PREFIX = Pattern.compile("(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ");
    private static final int MAX_DEPTH = 8;
    /** A probe never holds its thread longer than this, whatever the dial timeout. */
    static final Duration MAX_PROBE = Duration.ofSeconds(5);

    private DialFailure() {
    }

    /**
     * The reasons {@code t}'s cause chain gives, joined by ": ", or null when it gives none (only
     * exceptions without messages).
     */
    public static String reasons(Throwable t) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        for (Throwable c = t; c != null && depth++ < MAX_DEPTH; c = c.getCause() == c ? null : c.getCause()) {
            String m = reason(c);
            if (m == null) {
                continue;
            }
            boolean known = false;
            for (String p : parts) {
                known |= p.contains(m);
            }
            if (!known) {
                parts.add(m);
            }
        }
        return parts.isEmpty() ? null : String.join(": ", parts);
    }

    private static String reason(Throwable c) {
        if (c instanceof UnresolvedAddressException) {
            return "cannot resolve the host name";
        }
        String m = c.getMessage();
        if (m == null || m.isBlank() || c.getCause() != null && m.equals(c.getCause().toString())) {
            return null; // nothing, or a wrapper's copy of its cause (CompletionException)
        }
        m = CLASS_PREFIX.matcher(m).replaceAll("").strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
        if (c instanceof UnknownHostException) {
            return "unknown host " + m;
        }
        return m.isEmpty() ? null : m;
    }

    /** Whether {@link #reasons} says nothing and the failure is a connect: worth a {@link #probe}. */
    public static boolean needsProbe(Throwable t) {
        if (reasons(t) != null) {
            return false;
        }
        int depth = 0;
        for (Throwable c = t; c != null && depth++ < MAX_DEPTH; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Connects a plain socket to {@code hop} (resolving its name) and reports why that fails, or
     * null if it connects now. Blocks up to {@code timeout} (at most {@link #MAX_PROBE}).
     */
    public static String probe(InetSocketAddress hop, Duration timeout) {
        int millis = (int) Math.max(1, Math.min(timeout.toMillis(), MAX_PROBE.toMillis()));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(hop.getHostString(), hop.getPort()), millis);
            return null;
        } catch (SocketTimeoutException e) {
            return "connect timed out after " + millis + " ms";
        } catch (IOException | RuntimeException e) {
            return reasons(e);
        }
    }

    /**
     * The line to log: {@code t}'s reasons; when it has none, the probe's reason toward {@code hop};
     * else the exception's class name. {@code proxied}: {@code hop} is the proxy, which the line says.
     */
    public static String describe(Throwable t, InetSocketAddress hop, boolean proxied, Duration timeout) {
        String r = reasons(t);
        if (r != null) {
            return r;
        }
        String where = (proxied ? "proxy " : "") + hop.getHostString() + ":" + hop.getPort();
        if (needsProbe(t)) {
            String probed = probe(hop, timeout);
            if (probed != null) {
                return where + ": " + probed;
            }
        }
        return where + ": " + t.getClass().getSimpleName();
    }
}
