/** Network setup for the tunnel: TLS trust (system, -certfile, -insecure) and the CONNECT proxy. */
package io.wstunnel.cli.net;
