/**
 * The operator side of the server: {@code /_stats}, {@code /admin/*}, {@code /metrics}, the audit log
 * and admin control.
 *
 * <h2>Endpoints (all under {@code -base-path})</h2>
 * <ul>
 *   <li>{@code /_stats} — the Go key=value text. Anyone gets the first lines; per-tunnel detail only
 *       for local callers or with the admin bearer token.</li>
 *   <li>{@code /admin/monitoring}, {@code /admin/auditing} — the Go JSON fields first (same names and
 *       meanings), then added fields (bytes, queue depth, agents with protocol and version, rejects by
 *       reason, blocked tokens). Auditing is keyed by token id; tokens appear only cut
 *       ({@code first 8 + "..."}) or as {@code t-<16 hex>} (SHA-256, stable across restarts).</li>
 *   <li>{@code /admin/events} — server-sent events ({@code curl -N}): agent_connected,
 *       agent_disconnected, agent_refused, auth_failure, limit_reject, token_blocked, token_unblocked,
 *       admin_action. The last 100 are replayed to a new subscriber.</li>
 *   <li>{@code POST /admin/agents/{agentId}/disconnect}, {@code POST /admin/tokens/{tokenId}/block},
 *       {@code POST /admin/tokens/{tokenId}/unblock} — audited. A blocked token's agents are closed
 *       and refused with 403, its callers get 403 "Tunnel token blocked by the server administrator".
 *       Cross-origin POSTs (an {@code Origin} that is not the {@code Host}) are refused.</li>
 *   <li>{@code /admin/api-docs} (OpenAPI 3), {@code /admin} → 307 {@code /admin/ui}, {@code /admin/ui}
 *       (self-contained page, no external assets).</li>
 *   <li>{@code /metrics} — Prometheus text (Micrometer); only when the request has no {@code X-Token}
 *       header, so a tunnelled application's own {@code /metrics} still works.</li>
 * </ul>
 *
 * <h2>Access</h2>
 * Everything but {@code /_stats} and {@code /_health_check} answers loopback callers (127.0.0.0/8,
 * ::1, ::ffff:127.x) only, unless {@code -admin-token} is set: then other callers must send
 * {@code Authorization: Bearer <token>} (401 otherwise; 403 when no admin token is configured). The
 * caller is the socket peer; {@code X-Forwarded-For} is believed only from a {@code -trusted-proxies}
 * peer (right-most address that is not itself a trusted proxy), and a request from an untrusted peer
 * that carries {@code X-Forwarded-For} or {@code Forwarded} is never local. {@code -admin-listen
 * host:port} moves the admin endpoints and {@code /metrics} to their own listener.
 *
 * <h2>Audit log</h2>
 * {@code -audit-log FILE}: one JSON object per line ({@code @timestamp}, {@code event}, fields),
 * rolled daily and at 100 MB ({@code FILE.yyyy-MM-dd.N.gz}, 90 days, 20 GB cap), written through an
 * async queue that never discards and flushes every record.
 *
 * <h2>Prometheus scrape example</h2>
 * <pre>
 * scrape_configs:
 *   - job_name: wstunnel
 *     metrics_path: /metrics
 *     authorization: { type: Bearer, credentials_file: /etc/prometheus/wstunnel-admin-token }
 *     static_configs: [ { targets: ["tunnel.example.com:8080"] } ]
 * </pre>
 */
package io.wstunnel.srv.admin;
