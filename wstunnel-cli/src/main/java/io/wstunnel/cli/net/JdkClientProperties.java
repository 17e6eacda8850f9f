package io.wstunnel.cli.net;

/**
 * System properties of the JDK HTTP/WebSocket client that the agent sets unless the operator already
 * did (-Dname=value on the command line wins). The JDK reads them when its client is first used, or
 * when each WebSocket is created, so they are applied before the first tunnel is dialled.
 */
public final class JdkClientProperties {
    /** Basic auth toward a CONNECT proxy is disabled by default in the JDK (-proxy http://user:pass@host). */
    public static final String TUNNELING_DISABLED_SCHEMES = "jdk.http.auth.tunneling.disabledSchemes";
    /** Capacity of the buffer the JDK WebSocket masks each outgoing message into, then writes. */
    public static final String WEBSOCKET_WRITE_BUFFER = "jdk.httpclient.websocket.writeBufferSize";
    /**
     * The JDK's default is 16 KiB, so a 64 KiB DATA frame took five socket writes and the server five
     * reads. 256 KiB holds a whole frame of any MAX_FRAME_PAYLOAD up to that size: one write per frame.
     * Measured on loopback (bench/run.sh's 1 MiB case): about 15 % more throughput, and about 12 % less
     * CPU per byte across the machine. One such buffer per tunnel socket.
     */
    public static final int WEBSOCKET_WRITE_BUFFER_BYTES = 256 * 1024;

    private JdkClientProperties() {
    }

    /** Sets each property the operator left unset. */
    public static void apply() {
        setIfAbsent(TUNNELING_DISABLED_SCHEMES, "");
        setIfAbsent(WEBSOCKET_WRITE_BUFFER, Integer.toString(WEBSOCKET_WRITE_BUFFER_BYTES));
    }

    private static void setIfAbsent(String name, String value) {
        if (System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
    }
}
