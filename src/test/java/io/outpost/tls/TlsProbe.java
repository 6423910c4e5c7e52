package io.outpost.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** A TLS client for tests: one handshake with the given SNI and versions, then one HTTP/1.1 request. */
final class TlsProbe {

    /** What the server showed and answered. */
    record Result(X509Certificate peer, String protocol, String alpn, String response) {}

    private TlsProbe() {}

    static Result get(SSLContext ssl, int port, String sni, List<String> protocols, String path) throws IOException {
        try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            SSLParameters params = socket.getSSLParameters();
            if (sni != null) {
                params.setServerNames(List.of(new SNIHostName(sni)));
            }
            if (protocols != null) {
                params.setProtocols(protocols.toArray(String[]::new));
            }
            params.setApplicationProtocols(new String[] {"h2", "http/1.1"});
            socket.setSSLParameters(params);
            socket.startHandshake();
            X509Certificate peer = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            String response = "";
            if (path != null) {
                OutputStream out = socket.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: " + (sni == null ? "localhost" : sni)
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                response = readAll(socket.getInputStream());
            }
            Result result = new Result(peer, socket.getSession().getProtocol(), socket.getApplicationProtocol(), response);
            // The JDK client resumes by address, not by SNI: forget the session so each probe is a full handshake.
            socket.getSession().invalidate();
            return result;
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        in.transferTo(buf);
        return buf.toString(StandardCharsets.UTF_8);
    }
}
