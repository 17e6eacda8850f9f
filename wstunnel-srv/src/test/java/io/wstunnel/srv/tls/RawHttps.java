package io.wstunnel.srv.tls;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** One request on a fresh TLS connection, read until the server closes or 2 s of silence. */
final class RawHttps {
    private RawHttps() {
    }

    record Answer(int status, String text, X509Certificate serverCert, String protocol) {
    }

    static Answer upgrade(int port, SSLContext ctx, String token) throws Exception {
        return send(port, ctx, "GET /_tunnel HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: wstunnel.v2\r\nOrigin: " + token + "\r\n\r\n", null);
    }

    static Answer send(int port, SSLContext ctx, String request, String[] protocols) throws Exception {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            if (protocols != null) {
                s.setEnabledProtocols(protocols);
            }
            s.setSoTimeout(2000);
            s.startHandshake();
            X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
            String proto = s.getSession().getProtocol();
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    String sofar = out.toString(StandardCharsets.ISO_8859_1);
                    int head = sofar.indexOf("\r\n\r\n");
                    if (head > 0) {
                        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(sofar);
                        if (m.find() && sofar.length() >= head + 4 + Integer.parseInt(m.group(1))) {
                            break;
                        }
                        if (sofar.startsWith("HTTP/1.1 101")) {
                            break;
                        }
                    }
                }
            } catch (SocketTimeoutException e) {
                // what we have
            }
            String text = out.toString(StandardCharsets.UTF_8);
            int status = text.length() >= 12 ? Integer.parseInt(text.substring(9, 12)) : -1;
            return new Answer(status, text, peer, proto);
        }
    }
}
