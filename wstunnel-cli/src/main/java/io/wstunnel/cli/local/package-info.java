/**
 * The local side of the agent: forwards tunnelled HTTP requests with Apache HttpClient 5 (async),
 * streaming bodies both ways under the tunnel's flow control. {@link io.wstunnel.cli.local.Target}
 * applies the X-Host/-server rules; {@link io.wstunnel.cli.local.LocalForwarder} owns the client.
 */
package io.wstunnel.cli.local;
