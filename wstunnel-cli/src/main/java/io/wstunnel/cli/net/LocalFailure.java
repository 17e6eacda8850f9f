package io.wstunnel.cli.net;

import java.net.ConnectException;
import java.net.UnknownHostException;

/** How a failed local request or connection is described to the caller: no exception class names. */
public final class LocalFailure {
    private LocalFailure() {
    }

    /** A local failure as a caller may read it: the root cause's message, without exception class names. */
    public static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage();
        if (root instanceof UnknownHostException) {
            return "unknown host " + msg;
        }
        if (msg == null || msg.isBlank()) {
            return root.getClass().getSimpleName();
        }
        if (root instanceof ConnectException) {
            int i = msg.lastIndexOf("failed: ");
            return i >= 0 ? msg.substring(i + "failed: ".length()) : msg;
        }
        return msg;
    }
}
