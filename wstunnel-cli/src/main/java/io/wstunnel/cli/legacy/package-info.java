/**
 * The agent's legacy mode: the framing of the Go wstunnel (LEGACY.md §1–§3), used when the server
 * selects no subprotocol ({@code -protocol auto}) or when forced ({@code -protocol legacy}). One
 * request per binary message (4 hex id + HTTP/1.1 request), one response per message, agent pings.
 * Requests are forwarded by the same local side as wstunnel.v2 ({@code cli.local}), through
 * {@link io.wstunnel.cli.tunnel.ExchangeStream}.
 *
 * <p>{@link io.wstunnel.cli.legacy.LegacyAgentSession} owns a socket's state (one lock, see there);
 * its {@link io.wstunnel.cli.legacy.LegacyReceiver} parses requests on the reader thread, its
 * {@link io.wstunnel.cli.legacy.LegacySender} sends one response message at a time, its
 * {@link io.wstunnel.cli.tunnel.KeepAlive} pings; each {@link io.wstunnel.cli.legacy.LegacyExchange}
 * is one request and its response.
 */
package io.wstunnel.cli.legacy;
