/**
 * The tunnel side of the agent: one WebSocket connection speaking wstunnel.v2.
 *
 * <ul>
 *   <li>{@link io.wstunnel.cli.tunnel.Connector} keeps one session alive (dial, backoff, stop).</li>
 *   <li>{@link io.wstunnel.cli.tunnel.TunnelSession} is the connection state machine
 *       ({@link io.wstunnel.cli.tunnel.SessionState}): HELLO, GOAWAY, close; every transition is there,
 *       under its monitor, which also guards its {@link io.wstunnel.cli.tunnel.StreamTable} (streams,
 *       server stream-id rules) and {@link io.wstunnel.cli.tunnel.SessionTimers}. Its
 *       {@link io.wstunnel.cli.tunnel.TunnelListener} turns JDK WebSocket callbacks into whole messages,
 *       which the {@link io.wstunnel.cli.tunnel.TunnelReceiver} decodes, validates and routes.
 *       When the server selects no subprotocol (a Go server), {@link io.wstunnel.cli.tunnel.TunnelSession#listener}
 *       hands the socket to the legacy session instead, unless {@code -protocol v2} forces v2 (see
 *       {@code io.wstunnel.cli.legacy}).</li>
 *   <li>{@link io.wstunnel.cli.tunnel.TunnelStream} holds one stream's directions and flow windows.</li>
 *   <li>{@link io.wstunnel.cli.tunnel.FrameWriter} is the only writer: one send in flight, a byte cap.</li>
 *   <li>{@link io.wstunnel.cli.tunnel.KeepAlive} pings and detects a dead peer.</li>
 * </ul>
 *
 * Lock order, outermost first: local handler locks → TunnelStream → FrameWriter, and
 * TunnelSession → FrameWriter; a TunnelStream and its TunnelSession are never locked together, and
 * no tunnel lock is held while calling a {@link io.wstunnel.cli.tunnel.StreamHandler}.
 */
package io.wstunnel.cli.tunnel;
